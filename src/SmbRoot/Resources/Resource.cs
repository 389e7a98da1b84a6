using System.Diagnostics;
using SmbRoot.Core.State;

namespace SmbRoot.Resources;

/// <summary>
/// Something the boot built that must be given back: the root's network, the share mount, the
/// loop attachment with its image lock, the root mount. Each knows how to release itself, and
/// the boot's undo and the final stage call the same <see cref="Release"/>.
/// </summary>
public interface IResource
{
    /// <summary>What it is, for the console: "share //10.0.2.2/boot on /share".</summary>
    string Name { get; }

    /// <summary>Gives the resource back, retrying what is busy until <paramref name="deadline"/>; throws what it could not do.</summary>
    void Release(Deadline deadline);
}

/// <summary>
/// A resource the final stage gives back too: what it needs to know of it, for the state file
/// (<see cref="BootState"/>). Releases done before the switch (the on-demand modules) have none.
/// </summary>
public interface IReleasedAtTheEnd : IResource
{
    Built ForFinalStage { get; }
}

/// <summary>How long a release may keep retrying something busy.</summary>
public sealed class Deadline(TimeSpan limit)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public bool Passed => _clock.Elapsed >= limit;

    /// <summary>Sleeps <paramref name="interval"/> and says whether there is time for another try.</summary>
    public bool WaitAndRetry(TimeSpan interval)
    {
        if (Passed) return false;
        Thread.Sleep(interval);
        return true;
    }
}

/// <summary>The resources a boot attempt has built so far, released in reverse when the attempt fails.</summary>
public sealed class ResourceStack
{
    private readonly Stack<IResource> _built = new();

    public T Push<T>(T resource) where T : IResource
    {
        _built.Push(resource);
        return resource;
    }

    /// <summary>What the final stage must give back, in the order it was built (<see cref="BootState"/>).</summary>
    public IReadOnlyList<Built> ForFinalStage => [.. _built.Reverse().OfType<IReleasedAtTheEnd>().Select(resource => resource.ForFinalStage)];

    /// <summary>Releases everything in reverse; a failed release is reported and the rest still go.</summary>
    public void ReleaseAll(Deadline deadline, Action<IResource, Exception> report)
    {
        while (_built.TryPop(out var resource))
        {
            try { resource.Release(deadline); }
            catch (Exception e) { report(resource, e); }
        }
    }
}
