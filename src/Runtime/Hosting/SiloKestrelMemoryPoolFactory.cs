using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Hpf.Cluster.Runtime.Hosting;

/// <summary>Gives the silo's Kestrel (its socket transport takes its pool from this service) <see cref="SiloKestrelMemoryPool"/>s.</summary>
internal sealed class SiloKestrelMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new SiloKestrelMemoryPool();
}
