namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>Writes its value to <see cref="LifecycleJournal"/> on deactivation and reads it back on activation.</summary>
public interface ILifecycleGrain : IGrainWithStringKey
{
    Task Set(int value);

    Task<int> Get();

    Task<string> Silo();

    /// <summary>Adds one to the value (saved on deactivation, loaded on activation) and returns it.</summary>
    Task<int> Increment();

    /// <summary>Asks to be deactivated once idle.</summary>
    Task Retire();

    /// <summary>Asks not to be collected as idle for this long (zero ends an earlier delay).</summary>
    Task StayAwake(TimeSpan timeSpan);

    /// <summary>Waits, within its call, until the activation starts to close; false when <paramref name="limit"/> passes first.</summary>
    Task<bool> WaitUntilClosing(TimeSpan limit);
}
