using System.Linq.Expressions;
using System.Reflection;

namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Records and other classes or structs built through a constructor whose parameters name their public
/// properties (positional records), plus any remaining public settable properties. Getters, the constructor
/// and setters are compiled to delegates once per type, so encoding a value costs no reflection.
/// Reference types carry a presence byte for null.
/// </summary>
internal sealed class RecordSerializer : WireSerializer
{
    private readonly Type _type;
    private readonly Member[] _constructorMembers;
    private readonly Member[] _setMembers;
    private readonly Func<object?[], object> _construct;

    public RecordSerializer(Type type)
    {
        _type = type;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => c.GetParameters().All(p => p.Name is not null && properties.TryGetValue(p.Name, out var prop) && prop.PropertyType == p.ParameterType))
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault();
        if (constructor is null && !type.IsValueType)
        {
            throw new WireFormatException($"{type.FullName} cannot travel in a grain call: it needs a public constructor whose parameters are named after its public properties (a positional record), or a custom serializer registered with WireCodec.Register.");
        }
        var parameters = constructor?.GetParameters() ?? [];
        _constructorMembers = parameters.Select(p => new Member(properties[p.Name!])).ToArray();
        var covered = new HashSet<string>(parameters.Select(p => p.Name!), StringComparer.OrdinalIgnoreCase);
        _setMembers = type.IsValueType
            ? []
            : properties.Values.Where(p => !covered.Contains(p.Name) && p.SetMethod is { IsPublic: true }).OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new Member(p)).ToArray();
        _construct = CompileConstructor(type, constructor);
    }

    public override void WriteObject(WireWriter writer, object? value)
    {
        if (!_type.IsValueType)
        {
            writer.WriteBoolean(value is not null);
            if (value is null)
            {
                return;
            }
        }
        foreach (var member in _constructorMembers)
        {
            member.Serializer.WriteObject(writer, member.Get(value!));
        }
        foreach (var member in _setMembers)
        {
            member.Serializer.WriteObject(writer, member.Get(value!));
        }
    }

    public override object? ReadObject(WireReader reader)
    {
        if (!_type.IsValueType && !reader.ReadBoolean())
        {
            return null;
        }
        var arguments = new object?[_constructorMembers.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = _constructorMembers[i].Serializer.ReadObject(reader);
        }
        var value = _construct(arguments);
        foreach (var member in _setMembers)
        {
            member.Set!(value, member.Serializer.ReadObject(reader));
        }
        return value;
    }

    private static Func<object?[], object> CompileConstructor(Type type, ConstructorInfo? constructor)
    {
        var arguments = Expression.Parameter(typeof(object?[]), "arguments");
        Expression body = constructor is null
            ? Expression.New(type)
            : Expression.New(constructor, constructor.GetParameters().Select((p, i) =>
                Expression.Convert(Expression.ArrayIndex(arguments, Expression.Constant(i)), p.ParameterType)));
        return Expression.Lambda<Func<object?[], object>>(Expression.Convert(body, typeof(object)), arguments).Compile();
    }

    /// <summary>One property: compiled accessors and, looked up on first use so self-referencing types work, its serializer.</summary>
    private sealed class Member
    {
        private readonly Type _propertyType;
        private WireSerializer? _serializer;

        public Member(PropertyInfo property)
        {
            _propertyType = property.PropertyType;
            var instance = Expression.Parameter(typeof(object), "instance");
            var typed = Expression.Convert(instance, property.DeclaringType!);
            Get = Expression.Lambda<Func<object, object?>>(Expression.Convert(Expression.Property(typed, property), typeof(object)), instance).Compile();
            if (property.SetMethod is { IsPublic: true } && !property.DeclaringType!.IsValueType)
            {
                var value = Expression.Parameter(typeof(object), "value");
                Set = Expression.Lambda<Action<object, object?>>(
                    Expression.Assign(Expression.Property(typed, property), Expression.Convert(value, property.PropertyType)), instance, value).Compile();
            }
        }

        public Func<object, object?> Get { get; }

        public Action<object, object?>? Set { get; }

        public WireSerializer Serializer => _serializer ??= WireCodec.For(_propertyType);
    }
}
