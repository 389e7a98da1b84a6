namespace SmbRoot.Lab.Simulation;

/// <summary>
/// The cables between the machines and the server, in simulated real time (milliseconds): each
/// machine's link has periods when it is cut. A message sent over a cut link, or cut in flight,
/// waits for the link to come back and is sent again, as the cifs client on a hard mount resends
/// its requests after a reconnect. A message takes 1 to 20 ms on the wire.
/// </summary>
public sealed class SimulatedNetwork(Random random)
{
    private readonly Dictionary<int, List<(long From, long To)>> _cuts = [];

    public void Cut(int machine, long from, long to)
    {
        if (!_cuts.TryGetValue(machine, out var cuts)) _cuts[machine] = cuts = [];
        cuts.Add((from, to));
    }

    public bool IsCut(int machine, long at) => _cuts.TryGetValue(machine, out var cuts) && cuts.Any(c => c.From <= at && at < c.To);

    /// <summary>Whether <paramref name="machine"/>'s link is cut at any moment of [from, to].</summary>
    public bool CutDuring(int machine, long from, long to) => _cuts.TryGetValue(machine, out var cuts) && cuts.Any(c => c.From <= to && from < c.To);

    /// <summary>When a message that <paramref name="machine"/> (or the server, to it) sends at <paramref name="sent"/> arrives.</summary>
    public long Arrival(int machine, long sent)
    {
        long at = sent;
        while (true)
        {
            at = LinkUpAt(machine, at);
            long arrives = at + random.Next(1, 20);
            var cut = _cuts.TryGetValue(machine, out var cuts) ? cuts.Where(c => at < c.From && c.From < arrives).OrderBy(c => c.From).FirstOrDefault() : default;
            if (cut == default) return arrives;
            at = cut.To; // lost in flight: sent again once the link is back
        }
    }

    private long LinkUpAt(int machine, long at)
    {
        while (_cuts.TryGetValue(machine, out var cuts) && cuts.FirstOrDefault(c => c.From <= at && at < c.To) is { To: > 0 } cut) at = cut.To;
        return at;
    }
}
