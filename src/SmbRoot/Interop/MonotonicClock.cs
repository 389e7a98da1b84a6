using System.Diagnostics;

namespace SmbRoot.Interop;

/// <summary>
/// CLOCK_MONOTONIC (clock_gettime(2)), which .NET's Stopwatch reads on Linux: the time since this
/// boot, one clock for every process of the boot, never set and never stepped. The fence's
/// deadlines are measured on it, so they pass from PID 1 to the handoff helper and the final stage
/// as instants, not ages that the hand-over itself would make late.
/// </summary>
public static class MonotonicClock
{
    public static TimeSpan Now => Stopwatch.GetElapsedTime(0);
}
