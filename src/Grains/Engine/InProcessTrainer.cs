using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>Trains HPF in this process over the kernels: full batch or SVI, as the options say.</summary>
public sealed class InProcessTrainer
{
    public InProcessTrainer(TrainingOptions options)
    {
        options.Validate();
        Options = options;
    }

    public TrainingOptions Options { get; }

    public TrainingResult Train(Dataset train, HeldOutSet? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        throw new NotSupportedException("being written");
    }
}
