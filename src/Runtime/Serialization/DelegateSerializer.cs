namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>A serializer made of two delegates, for primitives and other fixed layouts.</summary>
internal sealed class DelegateSerializer<T>(Action<WireWriter, T> write, Func<WireReader, T> read) : WireSerializer<T>
{
    public override void Write(WireWriter writer, T value) => write(writer, value);

    public override T Read(WireReader reader) => read(reader);
}
