using SmbRoot.Core.Fencing;

namespace SmbRoot.Lab.Simulation;

public sealed partial class FencingSimulation
{
    /// <summary>
    /// One machine as SmbRoot runs it: boot, watch the record, lock the image, claim the record,
    /// then renew it, write the image and fence when the deadline passes; or crash, or shut down
    /// cleanly (the writes drain, the image is closed, the record says released). Each boot is an
    /// incarnation with its own boot id; what an earlier boot sent dies with its connection.
    /// </summary>
    public sealed class Machine(FencingSimulation world, int id, string mac, double rate, long offsetMs)
    {
        private enum State { Off, Watching, Taking, Holding, Releasing, Released }

        private State _state = State.Off;
        private RecordWatch? _watch;
        private long? _serverAge;
        private Ownership? _ownership;
        private int _writesInFlight;
        private bool _renewing;
        private HolderRecord? _record;

        public int Id => id;

        /// <summary>Its own system UUID: a clone shares its twin's MAC, not this (virt-clone gives it a new one).</summary>
        private string Uuid => $"00000000-0000-4000-8000-{id:x12}";
        public int Incarnation { get; private set; } = -1;
        public bool IsBooted => _state != State.Off;

        private FencingPolicy Policy => world.Settings.Policy;

        /// <summary>This machine's monotonic clock: its own rate and origin.</summary>
        private TimeSpan Local => TimeSpan.FromMilliseconds(offsetMs + rate * world.Now);

        /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/> by this machine's clock, if this boot is still running then.</summary>
        private void After(TimeSpan delay, Action action)
        {
            int incarnation = Incarnation;
            world.At(world.Now + (long)Math.Ceiling(Math.Max(0, delay.TotalMilliseconds) / rate), () =>
            {
                if (Incarnation == incarnation) action();
            });
        }

        public void Boot()
        {
            Incarnation = world.NewIncarnation();
            (_ownership, _record, _writesInFlight, _renewing) = (null, null, 0, false);
            StartWatch();
        }

        private void StartWatch()
        {
            _state = State.Watching;
            _watch = new RecordWatch(new MachineIdentity(mac, Uuid, $"boot-{Incarnation}"), Policy);
            _serverAge = null;
            ReadWhileWatching();
        }

        private void ReadWhileWatching()
        {
            var sent = Local;
            world.Request(this, world.ReadRecord, read =>
            {
                if (world.Settings.Flaw == Flaw.ServerAgeCounts && _serverAge is null && read.WriteTime >= 0) _serverAge = Math.Max(0, read.Now - read.WriteTime);
                var serverAge = TimeSpan.FromMilliseconds(_serverAge ?? 0);
                switch (_watch!.Next(read.Block, sent + serverAge, Local))
                {
                    case TakeoverDecision.Wait wait:
                        After(wait.Left < TimeSpan.FromSeconds(1) ? wait.Left : TimeSpan.FromSeconds(1), ReadWhileWatching);
                        break;
                    case TakeoverDecision.InUse:
                        Retry();
                        break;
                    case TakeoverDecision.Take take:
                        Lock(take.Why);
                        break;
                }
            });
        }

        /// <summary>The boot attempt failed (in use): the boot runs it again after rd.retry's pause.</summary>
        private void Retry()
        {
            _state = State.Watching;
            After(TimeSpan.FromMilliseconds(SimulationSettings.RetryAfterMs), StartWatch);
        }

        private void Lock(string why) => world.Request(this, () => world.TryLock(Incarnation), granted =>
        {
            if (granted) Take(why);
            else Retry();
        });

        /// <summary>HolderClaim.Watched.Take: the record must still be the one watched; then it is this boot's, quickly and confirmed (<see cref="ClaimRule"/>).</summary>
        private void Take(string why)
        {
            _state = State.Taking;
            var sent = Local;
            world.Request(this, world.ReadRecord, read =>
            {
                if (!read.Block.AsSpan().SequenceEqual(_watch!.First))
                {
                    GiveUpClaim();
                    return;
                }
                // Written to the tick, read back to the second, as the real record's boot time is.
                var record = new HolderRecord(false, $"boot-{Incarnation}", mac, $"machine{id}", "-", DateTimeOffset.UnixEpoch.AddTicks(world.Now * TimeSpan.TicksPerMillisecond + 1),
                    ClaimRule.FirstRenewal(HolderRecord.Read(_watch.First)), Policy.Deadline) { MachineUuid = Uuid };
                world.Request(this, () => world.WriteRecord(Incarnation, record.ToBytes()), _ =>
                {
                    if (world.Settings.Flaw != Flaw.UnconfirmedClaim && ClaimRule.TookTooLong(sent, Local) is not null)
                    {
                        GiveUpClaim();
                        return;
                    }
                    _record = record;
                    var provedAt = world.Settings.Flaw == Flaw.ProofDatedAtReturn ? Local : sent;
                    if (world.Settings.Flaw == Flaw.UnconfirmedClaim)
                    {
                        Hold(provedAt, why);
                        return;
                    }
                    After(ClaimRule.ConfirmAfter, () => world.Request(this, world.ReadRecord, confirm =>
                    {
                        if (ClaimRule.StillMine(confirm.Block, record)) Hold(provedAt, why);
                        else GiveUpClaim();
                    }));
                });
            });
        }

        /// <summary>The attempt fails: the image is closed, which lets its lock go.</summary>
        private void GiveUpClaim()
        {
            world.Note($"machine {id} (boot {Incarnation}) gives up its claim");
            world.Request(this, () => world.Unlock(Incarnation), _ => Retry());
        }

        private void Hold(TimeSpan provedAt, string why)
        {
            _state = State.Holding;
            _ownership = new Ownership(Policy, provedAt);
            world.Claimed(this, why);
            CheckFenceAt(_ownership.FenceAt);
            if (_ownership.MustFence(Local) is not null) return;
            After(Policy.RenewEvery, Renew);
            WriteImage();
            // Its fate: a crash, a clean shutdown, or running to the end of the run.
            long fate = world.UniformMs(5_000, 120_000);
            switch (world.UniformMs(0, 3))
            {
                case 0: After(TimeSpan.FromMilliseconds(fate), Crash); break;
                case 1: After(TimeSpan.FromMilliseconds(fate), ShutDown); break;
            }
        }

        private void WriteImage()
        {
            if (_state != State.Holding) return;
            _writesInFlight++;
            int incarnation = Incarnation;
            world.Request(this, () => world.WriteImage(this, incarnation), _ =>
            {
                _writesInFlight--;
                if (_state == State.Releasing) Release();
            });
            After(TimeSpan.FromMilliseconds(SimulationSettings.ImageWriteEveryMs), WriteImage);
        }

        /// <summary>HolderGuard's renewal: dated before the read; the record must still name this boot; the write makes the proof.</summary>
        private void Renew()
        {
            if (_state is not (State.Holding or State.Releasing)) return;
            var started = Local;
            _renewing = true;
            world.Request(this, world.ReadRecord, read =>
            {
                if (HolderRecord.Read(read.Block) is not HolderRecord.Reading.Valid { Record: var found } || found.BootId != _record!.BootId || found.Released)
                {
                    _renewing = false;
                    _ownership!.Lost("the record names another boot");
                    After(TimeSpan.FromMilliseconds(world.UniformMs(0, 500)), FenceIfDue);
                    return;
                }
                var renewed = _record with { Renewal = _record.Renewal + 1 };
                world.Request(this, () => world.WriteRecord(Incarnation, renewed.ToBytes()), _ =>
                {
                    _renewing = false;
                    _record = renewed;
                    _ownership!.Proved(world.Settings.Flaw == Flaw.ProofDatedAtReturn ? Local : started, Local);
                    CheckFenceAt(_ownership.FenceAt);
                    if (_state == State.Releasing) Release();
                    After(Policy.RenewEvery, Renew);
                });
            });
        }

        /// <summary>The fence thread looks every half second: it acts within that much after the deadline.</summary>
        private void CheckFenceAt(TimeSpan fenceAt) => After(fenceAt - Local + TimeSpan.FromMilliseconds(world.UniformMs(0, 500)), FenceIfDue);

        private void FenceIfDue()
        {
            // HolderGuard.Release: the fence stands until the released record is written.
            bool fenced = _state is State.Holding or State.Releasing || _state == State.Released && world.Settings.Flaw != Flaw.FenceStopsAtRelease;
            if (!fenced || _ownership!.MustFence(Local) is null) return;
            world.HolderEnded(this, "fenced");
            Reboot();
        }

        private void Crash()
        {
            world.HolderEnded(this, "crashed");
            Reboot();
        }

        /// <summary>The final stage: the image's writes drain (the loop device is detached), the lock goes with the image's handle, then the record says released.</summary>
        private void ShutDown()
        {
            if (_state != State.Holding) return;
            _state = State.Releasing;
            Release();
        }

        private void Release()
        {
            if (_state != State.Releasing || _writesInFlight > 0 || _renewing) return;
            _state = State.Released;
            world.Request(this, () => world.Unlock(Incarnation), _ =>
                world.Request(this, () => world.Settings.Flaw == Flaw.ReleaseUnmarked || world.WriteRecord(Incarnation, (_record! with { Released = true, Renewal = _record.Renewal + 1 }).ToBytes()), _ =>
                {
                    world.HolderEnded(this, Released);
                    Reboot();
                }));
        }

        /// <summary>A reset or power-off: this boot and its connection are gone; the machine boots again a little later.</summary>
        private void Reboot()
        {
            Incarnation = -1;
            _state = State.Off;
            world.At(world.Now + world.UniformMs(2_000, 15_000), Boot);
        }
    }
}
