namespace Hpf.Cluster.Silo.Tests;

/// <summary>The Hpf.Silo executable refusing a configuration it cannot run with, as a supervisor sees it: exit code 2 and a message.</summary>
public sealed class SiloConfigurationTests
{
    [Fact]
    public async Task Hpf_Silo_without_an_API_key_exits_with_2_and_says_which_setting_is_missing()
    {
        // The cluster profile with a connection string, so that the API key is the one thing missing; nothing is
        // contacted, since the settings are checked before anything starts.
        await using var silo = SiloProcess.Start(LoopbackPorts.Next(), ["--Profile=cluster"],
            new Dictionary<string, string> { ["HPF_Storage__ConnectionString"] = "UseDevelopmentStorage=true" });

        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(30)), silo.Output);
        Assert.Equal(SiloProgram.BadConfigurationExitCode, silo.ExitCode);
        Assert.Contains("No API key: set Api:ApiKey", silo.Output, StringComparison.Ordinal);
    }
}
