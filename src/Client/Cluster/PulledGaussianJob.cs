using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>A completed Gaussian cluster job brought into this process: its status, model and training ratings.</summary>
internal sealed record PulledGaussianJob(JobStatus Status, GaussianModel Model, Dataset Train)
{
    /// <summary>The model.json of the job saved under <paramref name="name"/>: its run as the cluster reports it, its sources as uploaded.</summary>
    public JobStoreManifest Manifest(string name, DateTimeOffset savedUtc)
    {
        var report = new TrainingReport(Status.Iteration, Status.SecondsPerIteration, Status.ElapsedSeconds, Status.StopReason ?? "", Status.Curve);
        return JobStoreManifest.Describe(name, Model.Options, report, Train, Status.LoadSeconds,
            Status.Sources.FirstOrDefault() ?? "", dataFormat: null, Status.Sources.Length > 1 ? Status.Sources[1] : null, savedUtc);
    }
}
