using Npgsql;
using Xunit.Abstractions;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// The PostgreSQL server named by HPF_TEST_POSTGRES (.ci/start-postgres.sh prints it). Without it a test fails in CI,
/// so CI never passes by not testing the multi-node path, and elsewhere returns early saying so in its output.
/// </summary>
internal static class TestPostgres
{
    public const string Variable = "HPF_TEST_POSTGRES";

    public static string? ConnectionString(ITestOutputHelper output)
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(connectionString)) return connectionString;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"{Variable} is not set but CI=true: the silo processes on PostgreSQL must be tested in CI (.ci/run starts a server with .ci/start-postgres.sh).");
        output.WriteLine($"Not tested: {Variable} is not set. Run eval \"$(.ci/start-postgres.sh)\" first to test the silo processes on PostgreSQL.");
        return null;
    }

    /// <summary>A schema of its own per cluster, so membership rows and grain state of two tests never meet.</summary>
    public static string UniqueSchema() => "hpf_silo_" + Guid.NewGuid().ToString("N")[..20];

    public static async Task DropSchemaAsync(string connectionString, string schema)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
        await command.ExecuteNonQueryAsync();
    }
}
