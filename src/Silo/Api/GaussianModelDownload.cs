using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Silo.Api;

/// <summary>
/// The model download of a completed Gaussian job: the local store's model file (<see cref="ModelStoreFormat.WriteGaussianModel"/>),
/// so that what the API sends is what <c>hpf train --model gaussian</c> saves and the engine reads back with
/// <see cref="ModelStoreFormat.ReadGaussianModel"/>. The model is read out of the shards and written into memory first:
/// the writer is synchronous, which the server does not allow on a response stream, and a Gaussian model is small
/// (D + D² float64 per row, D = K + 1).
/// </summary>
public static class GaussianModelDownload
{
    public const string ContentType = "application/vnd.hpf.gaussian-model";

    public static async Task WriteAsync(Stream destination, IGrainFactory grains, JobStatus status, CancellationToken cancellationToken)
    {
        var model = await GaussianModelPull.ReadAsync(grains, status.Job, status.Spec.Training, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        ModelStoreFormat.WriteGaussianModel(buffer, model, Guid.NewGuid());
        buffer.Position = 0;
        await buffer.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }
}
