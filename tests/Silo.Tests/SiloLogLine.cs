namespace Hpf.Cluster.Silo.Tests;

/// <summary>One line a silo process wrote, and when the test read it.</summary>
internal sealed record SiloLogLine(TimeSpan At, string Text);
