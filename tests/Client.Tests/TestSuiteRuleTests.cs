using System.Reflection;

namespace Hpf.Cluster.Client.Tests;

/// <summary>Rules the whole test suite keeps: a test that needs something from its environment fails without it, it never passes by returning.</summary>
public sealed class TestSuiteRuleTests
{
    [Fact]
    public void NoTestReturnsEarlyOnAMissingEnvironmentVariable()
    {
        var metadata = typeof(TestSuiteRuleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value!);
        var tests = Path.GetFullPath(Path.Combine(metadata["RepositoryRoot"], "tests"));
        Assert.True(Directory.Exists(tests), $"the tests directory {tests} is missing");
        var offences = EnvironmentGuardScan.FindIn(tests);
        Assert.True(offences.Count == 0,
            "these tests return early when an environment variable is missing, so they pass without testing; fail with the command that sets it up instead:\n"
            + string.Join('\n', offences));
    }

    // The samples spell the call READ( so that this file is not itself an offence for the scan of the tree.
    [Theory]
    [InlineData("var key = READ(\"HPF_KEY\");\n        if (key is null) return;")]
    [InlineData("string? key = READ(\"HPF_KEY\");\nif (string.IsNullOrEmpty(key))\n{\n    return;\n}")]
    [InlineData("var conn = READ(Names.Connection);\nif (conn == null) { return; }")]
    [InlineData("if (READ(\"AZURITE\") is null) return;")]
    [InlineData("if (string.IsNullOrWhiteSpace(READ(\"AZURITE\"))) return;")]
    public void TheScanFindsAnEarlyReturn(string code)
    {
        var offences = EnvironmentGuardScan.Find("class T\n{\n    void M()\n    {\n        " + Expand(code) + "\n    }\n}\n");
        Assert.Single(offences);
        Assert.Contains("if (", offences[0]);
    }

    [Theory]
    [InlineData("var dir = READ(\"HPF_DATA_DIR\");\nif (string.IsNullOrWhiteSpace(dir)) Assert.Equal(\"hpf\", name); else Assert.Equal(dir, name);")]
    [InlineData("var key = READ(\"HPF_KEY\") ?? throw new InvalidOperationException(\"set HPF_KEY\");")]
    [InlineData("if (key is null) return;")]
    public void TheScanLeavesOtherCodeAlone(string code) => Assert.Empty(EnvironmentGuardScan.Find(Expand(code)));

    private static string Expand(string code) => code.Replace("READ(", "Environment.GetEnvironmentVariable(");
}
