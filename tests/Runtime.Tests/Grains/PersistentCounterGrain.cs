namespace Hpf.Cluster.Runtime.Tests.Grains;

public sealed class PersistentCounterGrain : Grain, IPersistentCounterGrain
{
    private int _value;
    private float[] _vector = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await Storage.ReadAsync((stream, _) =>
        {
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            _value = reader.ReadInt32();
            _vector = new float[reader.ReadInt32()];
            for (var i = 0; i < _vector.Length; i++)
            {
                _vector[i] = reader.ReadSingle();
            }
            return Task.CompletedTask;
        }, cancellationToken);

    public async Task<int> Add(int delta)
    {
        _value += delta;
        _vector = [.. _vector, delta];
        await Storage.WriteAsync((stream, _) =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(_value);
            writer.Write(_vector.Length);
            foreach (var x in _vector)
            {
                writer.Write(x);
            }
            return Task.CompletedTask;
        }, CancellationToken.None);
        return _value;
    }

    public Task<int> Get() => Task.FromResult(_value);

    public Task<float[]> Vector() => Task.FromResult(_vector);

    Task<string> IPersistentCounterGrain.Silo() => Task.FromResult(Silo.ToString());
}
