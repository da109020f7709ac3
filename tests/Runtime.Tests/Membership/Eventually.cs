using System.Diagnostics;

namespace Hpf.Cluster.Runtime.Tests.Membership;

/// <summary>Polls a condition of an asynchronous protocol until it holds, failing the test with a reason if it never does.</summary>
internal static class Eventually
{
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) Assert.Fail($"Not within {timeout.TotalSeconds:0.#} s: {what}");
            await Task.Delay(20);
        }
        return clock.Elapsed;
    }

    public static Task<TimeSpan> HoldsAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, what);
}
