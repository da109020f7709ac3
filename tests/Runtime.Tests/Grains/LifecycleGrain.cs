namespace Hpf.Cluster.Runtime.Tests.Grains;

public sealed class LifecycleGrain(LifecycleJournal journal) : Grain, ILifecycleGrain
{
    private int _value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        journal.Record(GrainKey, "activate");
        _value = journal.Saved(GrainKey);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        journal.Record(GrainKey, "deactivate");
        journal.Save(GrainKey, _value);
        return Task.CompletedTask;
    }

    public Task Set(int value)
    {
        _value = value;
        return Task.CompletedTask;
    }

    public Task<int> Get() => Task.FromResult(_value);

    public async Task<int> Increment()
    {
        var value = _value + 1;
        // Yield inside the turn: a second activation of the same grain running alongside would lose updates.
        await Task.Yield();
        _value = value;
        return value;
    }

    public Task Retire()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task StayAwake(TimeSpan timeSpan)
    {
        DelayDeactivation(timeSpan);
        return Task.CompletedTask;
    }

    public async Task<bool> WaitUntilClosing(TimeSpan limit)
    {
        journal.Record(GrainKey, "waiting");
        try
        {
            await Task.Delay(limit, ActivationClosing);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    Task<string> ILifecycleGrain.Silo() => Task.FromResult(Silo.ToString());
}
