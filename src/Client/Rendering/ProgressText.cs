using System.Globalization;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Rendering;

/// <summary>How progress and likelihoods are spelled, the same on a live display and in redirected lines.</summary>
internal static class ProgressText
{
    /// <summary><c>iteration 10/100  llk -1.234e+05  elapsed 00:00:01.2  left 00:00:09</c></summary>
    public static string Line(TrainingProgress p) =>
        $"iteration {p.Iteration}/{p.MaxIterations}  llk {LogLikelihood(p.LogLikelihood)}  elapsed {Elapsed(p.Elapsed)}  left {Left(p.Remaining)}";

    public static string LogLikelihood(double? value) =>
        value is { } v ? v.ToString("0.000e+00", CultureInfo.InvariantCulture) : "-";

    /// <summary>hh:mm:ss.f; hours are not wrapped at 24.</summary>
    public static string Elapsed(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}.{t.Milliseconds / 100}");

    public static string Left(TimeSpan? t) =>
        t is { } v ? string.Create(CultureInfo.InvariantCulture, $"{(int)v.TotalHours:00}:{v.Minutes:00}:{v.Seconds:00}") : "-";

    public static string Seconds(double seconds) =>
        seconds.ToString(seconds < 0.01 ? "0.####" : "0.###", CultureInfo.InvariantCulture);
}
