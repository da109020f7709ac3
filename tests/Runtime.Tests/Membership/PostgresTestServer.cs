using Npgsql;
using Xunit.Abstractions;

namespace Hpf.Cluster.Runtime.Tests.Membership;

/// <summary>
/// The PostgreSQL server the provider tests run against, named by HPF_TEST_POSTGRES (.ci/start-postgres.sh
/// prints it). Without it the tests fail in CI, so CI can never pass by silently not testing PostgreSQL, and
/// elsewhere return early saying so in the test output.
/// </summary>
internal static class PostgresTestServer
{
    public const string Variable = "HPF_TEST_POSTGRES";

    public static string? ConnectionString(ITestOutputHelper output)
    {
        var connectionString = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(connectionString)) return connectionString;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"{Variable} is not set but CI=true: the PostgreSQL providers must be tested in CI (.ci/run starts a server with .ci/start-postgres.sh).");
        output.WriteLine($"PostgreSQL provider not tested: {Variable} is not set. Run eval \"$(.ci/start-postgres.sh)\" first to test it.");
        return null;
    }

    /// <summary>A schema of its own per test class instance, so parallel runs on one server never meet.</summary>
    public static string UniqueSchema() => "hpf_test_" + Guid.NewGuid().ToString("N")[..20];

    public static async Task DropSchemaAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
        await command.ExecuteNonQueryAsync();
    }
}
