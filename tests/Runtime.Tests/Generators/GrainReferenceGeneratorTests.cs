using System.Collections.Immutable;
using Hpf.Cluster.Runtime.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hpf.Cluster.Runtime.Tests.Generators;

public sealed class GrainReferenceGeneratorTests
{
    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(Grain).Assembly.Location),
    ];

    private static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compilation, string[] Sources) Run(string source)
    {
        var compilation = CSharpCompilation.Create(
            "GeneratorTest",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create(new GrainReferenceGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var sources = driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()).ToArray();
        return (diagnostics, output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray(), sources);
    }

    [Fact]
    public void A_valid_grain_interface_and_class_generate_code_that_compiles()
    {
        var (generator, compilation, sources) = Run("""
            using System.Threading;
            using System.Threading.Tasks;
            using Hpf.Cluster.Runtime;
            namespace Sample;
            public interface IBase : IGrainWithStringKey { Task<int> Inherited(string? text); }
            [GrainInterface] public interface IShard : IBase
            {
                Task Plain();
                ValueTask<float[]> Values(int count, CancellationToken ct);
                ValueTask Void(long? maybe, System.Collections.Generic.List<string> list);
                [Reentrant] Task<IShard> Self();
            }
            public sealed class Shard : Grain, IShard
            {
                public Task<int> Inherited(string? text) => Task.FromResult(1);
                public Task Plain() => Task.CompletedTask;
                public ValueTask<float[]> Values(int count, CancellationToken ct) => ValueTask.FromResult(new float[count]);
                public ValueTask Void(long? maybe, System.Collections.Generic.List<string> list) => ValueTask.CompletedTask;
                public Task<IShard> Self() => Task.FromResult(GrainFactory.GetGrain<IShard>(GrainKey));
            }
            """);

        Assert.Empty(generator);
        Assert.Empty(compilation);
        Assert.Contains(sources, s => s.Contains("class Sample_IShard_GrainReference", StringComparison.Ordinal));
        Assert.Contains(sources, s => s.Contains("RegisterGrainClass(typeof(global::Sample.Shard))", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("HPF0001", "public interface IBad<T> : IGrainWithStringKey { Task M(); }")]
    [InlineData("HPF0002", "public interface IBad : IGrainWithStringKey { int Count { get; } }")]
    [InlineData("HPF0003", "public interface IBad : IGrainWithStringKey { Task M<T>(T value); }")]
    [InlineData("HPF0004", "public interface IBad : IGrainWithStringKey { int M(); }")]
    [InlineData("HPF0005", "public interface IBad : IGrainWithStringKey { Task M(ref int value); }")]
    public void An_interface_that_cannot_be_called_remotely_is_a_compile_error(string id, string declaration)
    {
        var (generator, _, _) = Run("using System.Threading.Tasks; using Hpf.Cluster.Runtime; namespace Sample; " + declaration);

        var diagnostic = Assert.Single(generator);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
    }
}
