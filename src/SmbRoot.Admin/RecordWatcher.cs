using System.Diagnostics;
using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;

namespace SmbRoot.Admin;

/// <summary>
/// Watches holder records as a booting machine does (<see cref="RecordWatch"/>), all of them at
/// once: each read is timed on this machine's monotonic clock, from before it is sent to after it
/// is answered. A record is settled when it changed (live) or may be taken; the rest are read
/// again every half second until the watch's time is up.
/// </summary>
public sealed class RecordWatcher(ShareDirectory share, FencingPolicy policy)
{
    private static readonly TimeSpan ReadEvery = TimeSpan.FromMilliseconds(500);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public sealed record Result(HolderRecord.Reading First, TakeoverDecision Decision);

    /// <param name="limit">the longest to watch, given the records' first readings; null: until each record is settled</param>
    /// <param name="progress">called after each round with the undecided records</param>
    public IReadOnlyDictionary<string, Result> Watch(IReadOnlyList<string> recordPaths, Func<IEnumerable<HolderRecord.Reading>, TimeSpan?> limit,
        Action<TimeSpan, IReadOnlyDictionary<string, Result>>? progress = null)
    {
        var watches = recordPaths.ToDictionary(p => p, _ => new RecordWatch(HolderLiveness.Administrator, policy));
        var results = new Dictionary<string, Result>();
        var started = _clock.Elapsed;
        TimeSpan? until = null;
        bool firstRound = true;
        while (true)
        {
            foreach (var path in recordPaths.Where(p => results.GetValueOrDefault(p)?.Decision is not (TakeoverDecision.InUse or TakeoverDecision.Take)))
            {
                var sentAt = _clock.Elapsed;
                var block = share.ReadRecord(path);
                var decision = watches[path].Next(block, sentAt, _clock.Elapsed);
                results[path] = new Result(HolderRecord.Read(watches[path].First!), decision);
            }
            if (firstRound)
            {
                until = limit(results.Values.Select(r => r.First)) is { } longest ? started + longest : null;
                firstRound = false;
            }
            var open = results.Where(r => r.Value.Decision is TakeoverDecision.Wait).ToDictionary(r => r.Key, r => r.Value);
            if (open.Count == 0 || (until is { } end && _clock.Elapsed >= end)) return results;
            progress?.Invoke(_clock.Elapsed - started, open);
            Thread.Sleep(ReadEvery);
        }
    }
}
