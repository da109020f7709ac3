namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>Encodes values of one declared type. Register custom ones with <see cref="WireCodec.Register{T}"/>.</summary>
public abstract class WireSerializer
{
    public abstract void WriteObject(WireWriter writer, object? value);

    public abstract object? ReadObject(WireReader reader);
}

/// <summary>A typed serializer; the untyped members forward to the typed ones.</summary>
public abstract class WireSerializer<T> : WireSerializer
{
    public abstract void Write(WireWriter writer, T value);

    public abstract T Read(WireReader reader);

    public sealed override void WriteObject(WireWriter writer, object? value) => Write(writer, (T)value!);

    public sealed override object? ReadObject(WireReader reader) => Read(reader);
}
