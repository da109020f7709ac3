namespace Hpf.Cluster.Client.Tests;

/// <summary>One in-process run of the hpf command line: what it printed and how it exited.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> Of(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts success, showing what the command said when it did not succeed.</summary>
    public CliRun Succeeded()
    {
        Assert.True(ExitCode == ExitCodes.Success, $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}");
        return this;
    }
}
