namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The fused loop's inputs at a given shape, filled from a fixed seed: rows of exp(E[log]) padded to
/// the stride, and a CSR of (counterpart, count). Same layout and sizes as bench/native/fused_loop.c.
/// </summary>
internal sealed class KernelLayout
{
    public KernelLayout(int users, int items, int nonzerosPerUser, int factors, int stride, int seed = 42)
    {
        var random = new Random(seed);
        Users = users;
        Factors = factors;
        Stride = stride;
        UserExpElog = Fill(users, factors, stride, random);
        ItemExpElog = Fill(items, factors, stride, random);
        RowStart = new int[users + 1];
        Other = new int[users * nonzerosPerUser];
        Counts = new float[Other.Length];
        for (var u = 0; u < users; u++)
        {
            RowStart[u + 1] = (u + 1) * nonzerosPerUser;
            for (var n = u * nonzerosPerUser; n < RowStart[u + 1]; n++)
            {
                Other[n] = random.Next(items);
                Counts[n] = 1 + random.Next(5);
            }
        }
    }

    public int Users { get; }
    public int Factors { get; }
    public int Stride { get; }
    public float[] UserExpElog { get; }
    public float[] ItemExpElog { get; }
    public int[] RowStart { get; }
    public int[] Other { get; }
    public float[] Counts { get; }
    public int Nonzeros => Other.Length;

    private static float[] Fill(int rows, int factors, int stride, Random random)
    {
        var values = new float[rows * stride];
        for (var j = 0; j < values.Length; j++) values[j] = j % stride < factors ? (float)random.NextDouble() : 0f;
        return values;
    }
}
