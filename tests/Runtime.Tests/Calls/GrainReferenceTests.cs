using Hpf.Cluster.Runtime.Tests.Grains;

namespace Hpf.Cluster.Runtime.Tests.Calls;

public sealed class GrainReferenceTests
{
    [Fact]
    public void The_generator_describes_every_method_of_a_grain_interface()
    {
        var descriptor = GrainInterfaceRegistry.GetInterface(typeof(ICounterGrain));

        Assert.Equal(typeof(ICounterGrain).FullName, descriptor.GrainType);
        Assert.Equal(typeof(ICounterGrain).GetMethods().Select(m => m.Name).Order(), descriptor.Methods.Select(m => m.Name).Order());
        var slow = descriptor.Methods.Single(m => m.Name == nameof(ICounterGrain.Slow));
        // The cancellation token is not an argument that travels.
        Assert.Equal([typeof(int)], slow.ParameterTypes);
        Assert.Equal(typeof(int), slow.ResultType);
        Assert.Equal(typeof(void), descriptor.Methods.Single(m => m.Name == nameof(ICounterGrain.Fail)).ResultType);
        Assert.Equal(typeof(Batch), descriptor.Methods.Single(m => m.Name == nameof(ICounterGrain.EchoBatch)).ResultType);
    }

    [Fact]
    public void An_interface_marked_with_the_attribute_is_a_grain_interface_and_reentrant_methods_are_flagged()
    {
        var descriptor = GrainInterfaceRegistry.GetInterface(typeof(ITurnGrain));

        Assert.True(descriptor.Methods.Single(m => m.Name == nameof(ITurnGrain.Peek)).IsReentrant);
        Assert.False(descriptor.Methods.Single(m => m.Name == nameof(ITurnGrain.Step)).IsReentrant);
    }

    [Fact]
    public async Task A_generated_invoker_calls_the_grain_method_with_its_arguments()
    {
        var descriptor = GrainInterfaceRegistry.GetInterface(typeof(ICounterGrain));
        var add = descriptor.Methods.Single(m => m.Name == nameof(ICounterGrain.Add));
        var grain = new CounterGrain();

        Assert.Equal(3, await add.Invoke(grain, [3], CancellationToken.None));
        Assert.Equal(5, await add.Invoke(grain, [2], CancellationToken.None));
    }

    [Fact]
    public void A_type_that_is_not_a_grain_interface_is_refused()
    {
        Assert.Throws<ArgumentException>(() => GrainInterfaceRegistry.GetInterface(typeof(IDisposable)));
    }
}
