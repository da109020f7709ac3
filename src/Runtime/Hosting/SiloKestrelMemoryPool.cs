using System.Buffers;
using System.Collections.Concurrent;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>
/// The blocks Kestrel reads a silo's connections into: 64 KB each instead of Kestrel's own 4 KB, because Kestrel
/// receives into one block at a time. A 20 MB push of rows then takes about 320 socket reads and pipe hand-offs
/// instead of 5,000. Blocks are pinned (the socket reads into them) and kept for reuse; the pool never shrinks,
/// and holds what a silo's connections buffer at once (each pauses at Kestrel's 1 MB read limit).
/// </summary>
internal sealed class SiloKestrelMemoryPool : MemoryPool<byte>
{
    public const int BlockBytes = 64 * 1024;

    private readonly ConcurrentStack<Block> _free = new();
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockBytes;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minBufferSize > BlockBytes)
        {
            // The pipe asks for more than MaxBufferSize only when its caller insists; such a buffer is not kept.
            return new Block(this, new byte[minBufferSize], pooled: false);
        }
        if (_free.TryPop(out var block))
        {
            block.Rented();
            return block;
        }
        return new Block(this, GC.AllocateUninitializedArray<byte>(BlockBytes, pinned: true), pooled: true);
    }

    private void Return(Block block)
    {
        if (!_disposed)
        {
            _free.Push(block);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _free.Clear();
    }

    private sealed class Block(SiloKestrelMemoryPool pool, byte[] array, bool pooled) : IMemoryOwner<byte>
    {
        private int _returned;

        public Memory<byte> Memory
        {
            get
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _returned) != 0, this);
                return array;
            }
        }

        public void Rented() => Volatile.Write(ref _returned, 0);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0 && pooled)
            {
                pool.Return(this);
            }
        }
    }
}
