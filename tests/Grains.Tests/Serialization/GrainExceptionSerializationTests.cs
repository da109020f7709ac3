using System.Reflection;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;

namespace Hpf.Cluster.Grains.Tests.Serialization;

/// <summary>
/// A grain call that fails carries its exception back to the caller; an exception type without a codec makes Orleans
/// fail the reply instead ("could not find a codec"), and the caller sees a serialization error in place of the cause.
/// Every exception type our grain assemblies define must therefore have one.
/// </summary>
public sealed class GrainExceptionSerializationTests
{
    private static readonly Assembly[] GrainAssemblies = [typeof(IShardGrain).Assembly, typeof(CheckpointConflictException).Assembly];

    private static readonly IServiceProvider Services = new ServiceCollection()
        .AddSerializer(b => { foreach (var assembly in GrainAssemblies) b.AddAssembly(assembly); })
        .BuildServiceProvider();

    public static TheoryData<string> ExceptionTypes()
    {
        var data = new TheoryData<string>();
        foreach (var assembly in GrainAssemblies)
            foreach (var type in assembly.GetTypes())
                if (typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract) data.Add(type.AssemblyQualifiedName!);
        return data;
    }

    [Theory]
    [MemberData(nameof(ExceptionTypes))]
    public void Every_exception_a_grain_can_throw_has_a_codec(string typeName)
    {
        var type = Type.GetType(typeName, throwOnError: true)!;
        var codecs = Services.GetRequiredService<ICodecProvider>();
        Assert.True(codecs.TryGetCodec(type) is not null, $"{type.Name} has no Orleans codec: add [GenerateSerializer] and [Id] on its properties");
    }

    [Fact]
    public void A_checkpoint_conflict_reaches_the_caller_with_its_etags()
    {
        var serializer = Services.GetRequiredService<Serializer>();
        var conflict = new CheckpointConflictException("shard", "job/user/0", "etag-1", null);

        var back = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(conflict));

        var typed = Assert.IsType<CheckpointConflictException>(back);
        Assert.Equal(("shard", "job/user/0", "etag-1", (string?)null), (typed.GrainType, typed.GrainId, typed.ExpectedETag, typed.ActualETag));
        Assert.Equal(conflict.Message, typed.Message);
    }
}
