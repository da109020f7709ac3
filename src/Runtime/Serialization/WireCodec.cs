using System.Collections.Concurrent;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Chooses the serializer for a declared type: primitives, strings, enums, nullable values, raw primitive
/// arrays, arrays, lists and dictionaries of anything supported, and records; or one registered for the type.
/// Both ends know the declared types from the grain method, so values carry no type tags.
/// </summary>
public static class WireCodec
{
    private static readonly ConcurrentDictionary<Type, WireSerializer> Serializers = new(CreateBuiltIns());

    static WireCodec()
    {
        if (!BitConverter.IsLittleEndian)
        {
            // Raw arrays are sent as they lie in memory; every silo must agree on byte order.
            throw new PlatformNotSupportedException("The grain call codec assumes a little-endian machine.");
        }
    }

    /// <summary>Uses <paramref name="serializer"/> for every value declared as <typeparamref name="T"/>; register before the first call that uses it.</summary>
    public static void Register<T>(WireSerializer<T> serializer) => Serializers[typeof(T)] = serializer;

    public static WireSerializer For(Type type) => Serializers.GetOrAdd(type, Create);

    public static void Write(WireWriter writer, Type declaredType, object? value) => For(declaredType).WriteObject(writer, value);

    public static object? Read(WireReader reader, Type declaredType) => For(declaredType).ReadObject(reader);

    private static WireSerializer Create(Type type)
    {
        if (type.IsInterface && IsGrainInterface(type))
        {
            return new GrainReferenceSerializer(type);
        }
        if (type == typeof(object) || type.IsInterface && !type.IsGenericType || type.IsAbstract && !type.IsGenericType)
        {
            throw new WireFormatException($"Values declared as {type.FullName} cannot travel in a grain call: declare a concrete type.");
        }
        if (type.IsEnum)
        {
            return Build(typeof(EnumSerializer<>), type);
        }
        if (type.IsArray && type.GetArrayRank() == 1)
        {
            var element = type.GetElementType()!;
            return element.IsPrimitive && element != typeof(bool) && element != typeof(char) && element != typeof(nint) && element != typeof(nuint)
                ? Build(typeof(RawArraySerializer<>), element)
                : Build(typeof(ArraySerializer<>), element);
        }
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var arguments = type.GetGenericArguments();
            if (definition == typeof(Nullable<>))
            {
                return Build(typeof(NullableSerializer<>), arguments[0]);
            }
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
                || definition == typeof(ICollection<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(IEnumerable<>))
            {
                return Build(typeof(ListSerializer<>), arguments[0]);
            }
            if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                return Build(typeof(DictionarySerializer<,>), arguments);
            }
        }
        return new RecordSerializer(type);
    }

    private static bool IsGrainInterface(Type type) =>
        typeof(IGrain).IsAssignableFrom(type) || type.IsDefined(typeof(GrainInterfaceAttribute), inherit: false);

    private static WireSerializer Build(Type openGeneric, params Type[] arguments) =>
        (WireSerializer)Activator.CreateInstance(openGeneric.MakeGenericType(arguments))!;

    private static IEnumerable<KeyValuePair<Type, WireSerializer>> CreateBuiltIns()
    {
        static KeyValuePair<Type, WireSerializer> Of<T>(Action<WireWriter, T> write, Func<WireReader, T> read) =>
            new(typeof(T), new DelegateSerializer<T>(write, read));

        return
        [
            Of<bool>((w, v) => w.WriteBoolean(v), r => r.ReadBoolean()),
            Of<byte>((w, v) => w.WriteByte(v), r => r.ReadByte()),
            Of<sbyte>((w, v) => w.WriteByte((byte)v), r => (sbyte)r.ReadByte()),
            Of<short>((w, v) => w.WriteInt16(v), r => r.ReadInt16()),
            Of<ushort>((w, v) => w.WriteInt16((short)v), r => (ushort)r.ReadInt16()),
            Of<char>((w, v) => w.WriteInt16((short)v), r => (char)r.ReadInt16()),
            Of<int>((w, v) => w.WriteInt32(v), r => r.ReadInt32()),
            Of<uint>((w, v) => w.WriteInt32((int)v), r => (uint)r.ReadInt32()),
            Of<long>((w, v) => w.WriteInt64(v), r => r.ReadInt64()),
            Of<ulong>((w, v) => w.WriteInt64((long)v), r => (ulong)r.ReadInt64()),
            Of<float>((w, v) => w.WriteSingle(v), r => r.ReadSingle()),
            Of<double>((w, v) => w.WriteDouble(v), r => r.ReadDouble()),
            Of<decimal>((w, v) =>
            {
                Span<int> bits = stackalloc int[4];
                decimal.GetBits(v, bits);
                foreach (var b in bits)
                {
                    w.WriteInt32(b);
                }
            }, r => new decimal([r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32()])),
            Of<string?>((w, v) => w.WriteString(v), r => r.ReadString()),
            Of<Guid>((w, v) =>
            {
                Span<byte> bytes = stackalloc byte[16];
                v.TryWriteBytes(bytes);
                w.WriteRaw(bytes);
            }, r => new Guid(r.ReadRaw(16))),
            Of<TimeSpan>((w, v) => w.WriteInt64(v.Ticks), r => new TimeSpan(r.ReadInt64())),
            Of<DateTime>((w, v) => w.WriteInt64(v.ToBinary()), r => DateTime.FromBinary(r.ReadInt64())),
            Of<DateTimeOffset>((w, v) =>
            {
                w.WriteInt64(v.UtcTicks);
                w.WriteInt16((short)v.Offset.TotalMinutes);
            }, r =>
            {
                var utcTicks = r.ReadInt64();
                var offset = TimeSpan.FromMinutes(r.ReadInt16());
                return new DateTimeOffset(utcTicks + offset.Ticks, offset);
            }),
        ];
    }
}
