namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One SVI batch on the local side. The batch is every row whose key hash(seed, epoch, side, id) falls in
/// [Batch/Batches, (Batch + 1)/Batches), so each shard finds its part of it alone and the batches are the same
/// however the rows are sharded.
/// </summary>
/// <param name="Step">The global batch counter t (1-based).</param>
/// <param name="OtherColumnSums">Σ E[x] over all rows of the global side.</param>
[GenerateSerializer, Immutable, Alias("hpf.LocalStepRequest")]
public sealed record LocalStepRequest(int Epoch, int Batch, int Batches, long Step, long Version, long OtherVersion, double[] OtherColumnSums);

/// <param name="ColumnSumDelta">Change of Σ E[x] over the shard's rows from the local step.</param>
/// <param name="Rows">Rows of this shard in the batch.</param>
/// <param name="BytesSent">Bytes of statistics it sent to the global side's shards (every send is awaited before it returns).</param>
[GenerateSerializer, Immutable, Alias("hpf.LocalStepResult")]
public sealed record LocalStepResult(double[] ColumnSumDelta, int Rows, string? FailedRow, long BytesFetched, long BytesSent);

/// <summary>
/// Per global row a batch touched: Σ_{r ∈ batch} (y / ⟨w_r, e_o⟩)·w_r, [rows × K] (the row's own e_o is applied by
/// the receiver, whose it is). <see cref="Rows"/> are positions in the list of rows the sender resolved with the
/// receiver. Nonzeros whose products underflow contribute y·φ exactly instead: <see cref="Exact"/>, [K] per
/// entry of <see cref="ExactRows"/> (positions as well).
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.StatisticsChunk")]
public sealed record StatisticsChunk(long Step, int FromShard, ArrayPayload<int> Rows, ArrayPayload<float> Statistics, ArrayPayload<int> ExactRows, ArrayPayload<double> Exact);

/// <param name="Rho">ρ_t for the global schedule (ignored with a per-row schedule, where each row counts its own t).</param>
/// <param name="Scale">Local rows / rows in the batch.</param>
/// <param name="OtherColumnSums">Σ E[x] over all rows of the local side, after the local step.</param>
[GenerateSerializer, Immutable, Alias("hpf.GlobalStepRequest")]
public sealed record GlobalStepRequest(long Step, long Version, double Rho, double Scale, double[] OtherColumnSums);

[GenerateSerializer, Immutable, Alias("hpf.GlobalStepResult")]
public sealed record GlobalStepResult(double[] ColumnSumDelta, int RowsUpdated, string? FailedRow);
