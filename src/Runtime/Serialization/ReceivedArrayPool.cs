using System.Runtime.CompilerServices;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// The large primitive arrays that received messages are decoded into (a framed message's tail, see
/// <see cref="WireFrame"/>), kept for reuse by exact length. A shard receives rows of the same size every half-step:
/// allocated afresh, two silos' MovieLens pushes put 0.5 MB an iteration on the large-object heap, which cost a
/// background gen-2 collection every 20 iterations, the runtime's pool trimming on the finalizer thread after each,
/// and new pages to fault in, all on the cores the half-steps run on.
/// </summary>
/// <remarks>
/// A receiver that has copied what it needs out of an array gives it back with <see cref="Return"/>; one it keeps or
/// forgets is simply collected. Only arrays this pool lent are taken back, so giving back an array that a same-silo
/// call passed by reference (the sender's own buffer) does nothing. Free arrays are held weakly: the pool never keeps
/// memory from a collection that wants it.
/// </remarks>
public sealed class ReceivedArrayPool<T> where T : unmanaged
{
    private const int MaxFreePerLength = 8;
    private const int MaxLengths = 64;
    private static readonly object LentMark = new();

    private readonly ConditionalWeakTable<T[], object> _lent = new();
    private readonly Dictionary<int, Stack<WeakReference<T[]>>> _free = [];
    private readonly object _gate = new();

    internal ReceivedArrayPool()
    {
    }

    /// <summary>The pool <see cref="WireReader"/> takes a received message's large arrays from.</summary>
    public static ReceivedArrayPool<T> Shared { get; } = new();

    /// <summary>An array of exactly <paramref name="length"/> elements, its contents undefined.</summary>
    internal T[] Rent(int length)
    {
        T[]? array = null;
        lock (_gate)
        {
            if (_free.TryGetValue(length, out var free))
            {
                while (free.Count > 0 && !free.Pop().TryGetTarget(out array))
                {
                }
                if (free.Count == 0) _free.Remove(length);
            }
        }
        array ??= GC.AllocateUninitializedArray<T>(length);
        _lent.AddOrUpdate(array, LentMark);
        return array;
    }

    /// <summary>
    /// Gives back an array a received message was decoded into, once nothing reads it any more. Arrays the pool did
    /// not lend, and null, are ignored; an array given back twice is taken once.
    /// </summary>
    public void Return(T[]? array)
    {
        if (array is null || !_lent.Remove(array)) return;
        lock (_gate)
        {
            if (!_free.TryGetValue(array.Length, out var free))
            {
                // Lengths of jobs long finished would otherwise pile up: past the bound, the idle ones are forgotten.
                if (_free.Count >= MaxLengths) _free.Clear();
                _free[array.Length] = free = new Stack<WeakReference<T[]>>();
            }
            if (free.Count < MaxFreePerLength) free.Push(new WeakReference<T[]>(array));
        }
    }

    /// <summary>Arrays waiting to be lent again that a collection has not taken (for tests and diagnostics).</summary>
    public int FreeCount(int length)
    {
        lock (_gate)
        {
            if (!_free.TryGetValue(length, out var free)) return 0;
            var alive = 0;
            foreach (var reference in free)
            {
                if (reference.TryGetTarget(out _)) alive++;
            }
            return alive;
        }
    }
}
