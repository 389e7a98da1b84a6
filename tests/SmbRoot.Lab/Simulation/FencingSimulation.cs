using SmbRoot.Core.Fencing;

namespace SmbRoot.Lab.Simulation;

/// <summary>What one seeded run did, and the first broken invariant if there was one.</summary>
public sealed record SimulationResult(int Seed, string? Violation, int Claims, int Fences, int Releases, int Crashes, long WorstTakeoverMs, long Events, IReadOnlyList<string> Trace);

/// <summary>
/// A deterministic simulation of the fencing protocol, in the manner of FoundationDB's simulation
/// testing: machines that hold, renew, wait and take one image's holder record through a server,
/// over links that are cut and heal, with slow and resent requests, clocks that run at different
/// rates, crashes, clean releases, server restarts that drop the image's lock, and (in the flawed
/// variants) the server's frozen write time. The decisions are SmbRoot's own code
/// (<see cref="RecordWatch"/>, <see cref="Takeover"/>, <see cref="Ownership"/>, <see cref="HolderRecord"/>);
/// only the machines' plumbing is modelled. A seeded random scheduler drives it, so a seed that
/// breaks an invariant replays exactly. Checked, as Jepsen's checkers do, on the server's own
/// history: the image's writes never interleave two claims (once a second machine's write has
/// landed, the first one's never lands again), and in a calm world an image left by a crashed,
/// fenced or released holder is taken within the stated bound.
/// </summary>
public sealed partial class FencingSimulation
{
    private readonly PriorityQueue<Action, (long, long)> _events = new();
    private readonly Random _random;
    private readonly SimulationSettings _settings;
    private readonly SimulatedNetwork _network;
    private readonly List<Machine> _machines = [];
    private readonly Dictionary<int, long> _lastArrival = [], _lastServed = [], _lastReply = [];
    private readonly Queue<string> _trace = new();
    private long _sequence, _events_run;
    private int _incarnations, _claims, _fences, _releases, _crashes;
    private string? _violation;

    // The server's state: the record's block, its write time as Samba keeps it, the image's lock, and the image's write history.
    private byte[] _record = new byte[HolderRecord.Size];
    private long _recordWriteTime = -1;
    private int _recordWriteTimeHandle = -1;
    private int? _lockOwner;
    private int? _lastImageWriter;
    private readonly HashSet<int> _imageWriters = [];

    // The takeover bound: when the last holder ended, whether another machine was booted then, and the longest gap.
    private long? _holderEndedAt;
    private long _takeoverBound;
    private long _worstTakeover;

    private FencingSimulation(int seed, SimulationSettings settings)
    {
        (_random, _settings) = (new Random(seed), settings);
        _network = new SimulatedNetwork(_random);
    }

    public long Now { get; private set; }

    public static SimulationResult Run(int seed, SimulationSettings settings)
    {
        var simulation = new FencingSimulation(seed, settings);
        simulation.Play();
        return new SimulationResult(seed, simulation._violation, simulation._claims, simulation._fences, simulation._releases, simulation._crashes,
            simulation._worstTakeover, simulation._events_run, simulation._trace.ToList());
    }

    private void Play()
    {
        for (int id = 0; id < _settings.Machines; id++)
        {
            string mac = _settings.Clones && id == 1 ? Mac(0) : Mac(id);
            double drift = _settings.ClockDrift;
            var machine = new Machine(this, id, mac, 1 + (_random.NextDouble() * 2 - 1) * drift, _random.Next(0, 1_000_000));
            _machines.Add(machine);
            At(_random.Next(0, 5_000), machine.Boot);
            for (int cuts = _random.Next(_settings.MostCuts + 1); cuts > 0; cuts--)
            {
                long from = _random.NextInt64(0, _settings.DurationMs), to = from + _random.NextInt64(100, _settings.LongestCutMs);
                _network.Cut(id, from, to);
                At(from, () => Note($"cable of machine {machine.Id} cut until {to} ms"));
            }
        }
        for (int restarts = _random.Next(_settings.MostServerRestarts + 1); restarts > 0; restarts--)
        {
            At(_random.NextInt64(0, _settings.DurationMs), () =>
            {
                Note("the server restarts: every lock is gone");
                _lockOwner = null;
            });
        }
        while (_violation is null && _events.TryDequeue(out var action, out var when) && when.Item1 <= _settings.DurationMs)
        {
            Now = when.Item1;
            _events_run++;
            action();
        }
    }

    private static string Mac(int id) => $"52:54:00:00:00:{id:x2}";

    public void At(long time, Action action) => _events.Enqueue(action, (Math.Max(time, Now), _sequence++));

    public int NewIncarnation() => ++_incarnations;

    public double Uniform(double from, double to) => from + _random.NextDouble() * (to - from);

    public long UniformMs(long from, long to) => _random.NextInt64(from, to);

    public SimulationSettings Settings => _settings;

    public void Note(string what)
    {
        _trace.Enqueue($"{Now,7} ms: {what}");
        if (_trace.Count > 80) _trace.Dequeue();
    }

    /// <summary>
    /// A request from <paramref name="machine"/>, served at the server and answered; in order per
    /// machine, as over one TCP connection. What has not reached the server when the machine's boot
    /// ends is lost with that boot's connection; what has reached it is served all the same, after
    /// the server's own delay (a slow server holds a request for up to <see cref="SimulationSettings.SlowestMs"/>),
    /// and answered after its flush (up to <see cref="SimulationSettings.SlowestFlushMs"/>); the
    /// answer to a boot that has ended is lost.
    /// </summary>
    public void Request<T>(Machine machine, Func<T> atServer, Action<T> onAnswer)
    {
        int incarnation = machine.Incarnation;
        long arrives = Math.Max(_network.Arrival(machine.Id, Now), _lastArrival.GetValueOrDefault(machine.Id));
        _lastArrival[machine.Id] = arrives;
        At(arrives, () =>
        {
            if (machine.Incarnation != incarnation) return;
            long served = Math.Max(Now + ServiceTime(), _lastServed.GetValueOrDefault(machine.Id));
            _lastServed[machine.Id] = served;
            At(served, () =>
            {
                var answer = atServer();
                long back = Math.Max(_network.Arrival(machine.Id, Now + FlushTime()), _lastReply.GetValueOrDefault(machine.Id));
                _lastReply[machine.Id] = back;
                At(back, () =>
                {
                    if (machine.Incarnation == incarnation) onAnswer(answer);
                });
            });
        });
    }

    private long ServiceTime() => _random.NextDouble() < _settings.SlowShare ? _random.Next(100, _settings.SlowestMs) : _random.Next(0, 2);

    /// <summary>What a write waits, already visible to every reader, before the server answers it (its flush to disk).</summary>
    private long FlushTime() => _random.NextDouble() < _settings.SlowShare ? _random.Next(100, _settings.SlowestFlushMs) : 0;

    // ---- the server ----

    public (byte[] Block, long WriteTime, long Now) ReadRecord() => ((byte[])_record.Clone(), _recordWriteTime, Now);

    /// <summary>A write through the handle of <paramref name="incarnation"/>: Samba sets the write time once, 2 s after a handle's first write, and holds it until close.</summary>
    public bool WriteRecord(int incarnation, byte[] block)
    {
        _record = block;
        if (_recordWriteTimeHandle != incarnation)
        {
            (_recordWriteTimeHandle, _recordWriteTime) = (incarnation, Now + 2_000);
        }
        return true;
    }

    /// <summary>
    /// The image's byte-range lock. A holder whose machine has rebooted has no session left once
    /// the server asks it to break its lease. A holder that is cut off cannot answer the break: the
    /// server drops its session a few seconds later, and with it the lock (what the record is for).
    /// </summary>
    public bool TryLock(int incarnation)
    {
        if (_lockOwner is not int owner || owner == incarnation || _machines.All(m => m.Incarnation != owner))
        {
            _lockOwner = incarnation;
            return true;
        }
        var holder = _machines.First(m => m.Incarnation == owner);
        if (_network.IsCut(holder.Id, Now))
        {
            At(Now + UniformMs(2_000, 10_000), () =>
            {
                if (_lockOwner != owner) return;
                Note($"the server drops the session of machine {holder.Id} (an unanswered lease break): its lock is gone");
                _lockOwner = null;
            });
        }
        return false;
    }

    public bool Unlock(int incarnation)
    {
        if (_lockOwner == incarnation) _lockOwner = null;
        return true;
    }

    /// <summary>The checker: a write of the image lands on the server.</summary>
    public bool WriteImage(Machine machine, int incarnation)
    {
        if (_lastImageWriter == incarnation) return true;
        if (!_imageWriters.Add(incarnation))
        {
            _violation = $"two writers: machine {machine.Id} (boot {incarnation}) wrote the image after boot {_lastImageWriter} had written it";
            Note(_violation);
        }
        _lastImageWriter = incarnation;
        return true;
    }

    // ---- the record of holders, for the counts and the takeover bound ----

    public void Claimed(Machine machine, string why)
    {
        _claims++;
        Note($"machine {machine.Id} (boot {machine.Incarnation}) holds the image: {why}");
        if (_holderEndedAt is long ended)
        {
            _worstTakeover = Math.Max(_worstTakeover, Now - ended);
            if (_settings.IsCalm && Now - ended > _takeoverBound)
            {
                _violation = $"slow takeover: the image was taken {Now - ended} ms after its holder ended, more than the bound of {_takeoverBound} ms";
            }
        }
        _holderEndedAt = null;
    }

    /// <summary>
    /// The longest a booted machine waits for an image whose holder has ended, in a calm world: a
    /// retry's pause (it saw the last renewal), a read's interval, the claim's confirmation, and a
    /// second for the round trips; for a holder that did not release the image, also its deadline
    /// plus the margin watched unchanged.
    /// </summary>
    private long TakeoverBoundMs(bool released) =>
        SimulationSettings.RetryAfterMs + 1_000 + (long)ClaimRule.ConfirmAfter.TotalMilliseconds + 1_000 +
        (released ? 0 : (long)(_settings.Policy.Deadline + _settings.Policy.Margin).TotalMilliseconds);

    public const string Released = "released it";

    public void HolderEnded(Machine machine, string how)
    {
        Note($"machine {machine.Id} (boot {machine.Incarnation}) {how}");
        switch (how)
        {
            case "fenced": _fences++; break;
            case "crashed": _crashes++; break;
            case Released: _releases++; break;
        }
        // The bound is a promise to a machine that is already waiting, in a world without cuts or slow requests.
        bool waiter = _machines.Any(m => m != machine && m.IsBooted);
        _holderEndedAt = waiter ? Now : null;
        _takeoverBound = TakeoverBoundMs(released: how == Released);
    }
}
