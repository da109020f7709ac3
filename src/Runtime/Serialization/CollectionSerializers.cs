namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>Arrays of non-primitive elements: a length, then each element with the element type's serializer.</summary>
internal sealed class ArraySerializer<T> : WireSerializer<T[]?>
{
    private readonly WireSerializer _element = WireCodec.For(typeof(T));

    public override void Write(WireWriter writer, T[]? value)
    {
        if (value is null)
        {
            writer.WriteInt32(-1);
            return;
        }
        writer.WriteInt32(value.Length);
        foreach (var item in value)
        {
            _element.WriteObject(writer, item);
        }
    }

    public override T[]? Read(WireReader reader)
    {
        var length = reader.ReadLength(1);
        if (length < 0)
        {
            return null;
        }
        var array = new T[length];
        for (var i = 0; i < length; i++)
        {
            array[i] = (T)_element.ReadObject(reader)!;
        }
        return array;
    }
}

/// <summary>Lists and read-only list/collection/enumerable interfaces, read back as <see cref="List{T}"/>.</summary>
internal sealed class ListSerializer<T> : WireSerializer<IEnumerable<T>?>
{
    private readonly WireSerializer _element = WireCodec.For(typeof(T));

    public override void Write(WireWriter writer, IEnumerable<T>? value)
    {
        if (value is null)
        {
            writer.WriteInt32(-1);
            return;
        }
        var items = value as IReadOnlyCollection<T> ?? value.ToList();
        writer.WriteInt32(items.Count);
        foreach (var item in items)
        {
            _element.WriteObject(writer, item);
        }
    }

    public override IEnumerable<T>? Read(WireReader reader)
    {
        var length = reader.ReadLength(1);
        if (length < 0)
        {
            return null;
        }
        var list = new List<T>(length);
        for (var i = 0; i < length; i++)
        {
            list.Add((T)_element.ReadObject(reader)!);
        }
        return list;
    }
}

/// <summary>Dictionaries and their read-only interfaces, read back as <see cref="Dictionary{TKey, TValue}"/>.</summary>
internal sealed class DictionarySerializer<TKey, TValue> : WireSerializer<IEnumerable<KeyValuePair<TKey, TValue>>?> where TKey : notnull
{
    private readonly WireSerializer _key = WireCodec.For(typeof(TKey));
    private readonly WireSerializer _value = WireCodec.For(typeof(TValue));

    public override void Write(WireWriter writer, IEnumerable<KeyValuePair<TKey, TValue>>? value)
    {
        if (value is null)
        {
            writer.WriteInt32(-1);
            return;
        }
        var pairs = value as IReadOnlyCollection<KeyValuePair<TKey, TValue>> ?? value.ToList();
        writer.WriteInt32(pairs.Count);
        foreach (var pair in pairs)
        {
            _key.WriteObject(writer, pair.Key);
            _value.WriteObject(writer, pair.Value);
        }
    }

    public override IEnumerable<KeyValuePair<TKey, TValue>>? Read(WireReader reader)
    {
        var length = reader.ReadLength(1);
        if (length < 0)
        {
            return null;
        }
        var dictionary = new Dictionary<TKey, TValue>(length);
        for (var i = 0; i < length; i++)
        {
            var key = (TKey)_key.ReadObject(reader)!;
            dictionary[key] = (TValue)_value.ReadObject(reader)!;
        }
        return dictionary;
    }
}

/// <summary>Nullable value types: a presence byte, then the value.</summary>
internal sealed class NullableSerializer<T> : WireSerializer<T?> where T : struct
{
    private readonly WireSerializer _value = WireCodec.For(typeof(T));

    public override void Write(WireWriter writer, T? value)
    {
        writer.WriteBoolean(value.HasValue);
        if (value.HasValue)
        {
            _value.WriteObject(writer, value.Value);
        }
    }

    public override T? Read(WireReader reader) => reader.ReadBoolean() ? (T)_value.ReadObject(reader)! : null;
}

/// <summary>Enums travel as their value widened to 64 bits, so any underlying type fits.</summary>
internal sealed class EnumSerializer<T> : WireSerializer<T> where T : struct, Enum
{
    public override void Write(WireWriter writer, T value) => writer.WriteInt64(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));

    public override T Read(WireReader reader) => (T)Enum.ToObject(typeof(T), reader.ReadInt64());
}
