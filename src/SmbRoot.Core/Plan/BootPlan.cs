using System.Globalization;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.Overlay;
using SmbRoot.Core.Shutdown;

namespace SmbRoot.Core.Plan;

public enum BreakPoint { None, PreMount, PreSwitch }

public enum BootMode { Auto, Guard, Handoff }

/// <summary>How every SMB message of the root is protected on the wire, weakest first (rd.cifs.integrity=).</summary>
public enum Integrity { Off, Sign, Seal }

public static class Integrities
{
    public static string Name(this Integrity integrity) => integrity.ToString().ToLowerInvariant();

    /// <summary>What each choice means, for the plan and for <c>init status</c>.</summary>
    public static string Meaning(this Integrity integrity) => integrity switch
    {
        Integrity.Seal => "every SMB message encrypted and integrity-checked (SMB3 encryption)",
        Integrity.Sign => "every SMB message signed",
        _ => "no signing: anyone on the network can change the root's blocks in flight",
    };
}

public static class BootModes
{
    /// <summary>
    /// Auto means handoff when the root's init is systemd (it runs /run/initramfs/shutdown itself at
    /// the end, bootup(7)) and guard for every other init. <paramref name="initTarget"/> is the
    /// init path with its symlinks resolved inside the root.
    /// </summary>
    public static BootMode Resolve(BootMode mode, string initTarget) =>
        mode != BootMode.Auto ? mode : Path.GetFileName(initTarget) == "systemd" ? BootMode.Handoff : BootMode.Guard;
}

/// <summary>
/// Everything the boot will do, decided before anything is touched: the parsed and validated
/// kernel command line. Immutable; the boot steps only read it.
/// </summary>
public sealed record BootPlan(
    CifsRoot Root,
    string? RootFsType,
    MountOptions RootMount,
    bool ReadOnly,
    IReadOnlyList<string> CifsExtraOptions,
    string CredentialsPath,
    NetworkConfig Network,
    string Init,
    IReadOnlyList<string> InitArguments,
    int RetrySeconds,
    bool Shell,
    BreakPoint Break,
    bool Debug,
    BootMode Mode,
    ShutdownVerb HaltVerb,
    byte[]? BootInterface,
    Integrity Integrity,
    FencingPolicy Fencing,
    OverlayLayer? Overlay)
{
    public const string DefaultCredentialsPath = "/etc/smbroot/credentials";
    public const string DefaultInit = "/sbin/init";
    public const int DefaultRetrySeconds = 180;

    /// <summary>The image is opened, locked (shared) and mounted read-only: with <c>ro</c>, and always under an overlay (rd.overlay=), where it is the golden lower layer.</summary>
    public bool ImageReadOnly => ReadOnly || Overlay is not null;

    /// <summary>The share is mounted read-only when nothing on it is written: a read-only image without a persistent layer.</summary>
    public bool ShareReadOnly => ImageReadOnly && Overlay?.File is null;

    /// <summary>Filesystems the root image may hold: the kernel module of the same name is loaded for it.</summary>
    public static readonly string[] KnownFileSystems = ["ext4", "ext3", "ext2", "xfs", "btrfs", "squashfs", "f2fs", "vfat"];

    /// <summary>Builds the plan, or throws <see cref="PlanException"/> listing every problem found.</summary>
    public static BootPlan Parse(KernelCommandLine cmdline)
    {
        var errors = new List<string>();
        // Every problem is a PlanException with its message; anything else escaping a parser is a bug
        // in it, and still only a problem with that key: PID 1 must get a plan or a list of problems.
        T? Try<T>(string key, Func<T> parse) where T : class
        {
            try { return parse(); }
            catch (PlanException e) { errors.Add(e.Message); return null; }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException or IndexOutOfRangeException)
            {
                errors.Add($"{key}=: the value cannot be read ({e.GetType().Name}); check its syntax in README.md");
                return null;
            }
        }

        string? rootValue = cmdline.Last("root");
        CifsRoot? root = rootValue is null
            ? Fail<CifsRoot>(errors, "no root= on the command line; expected root=cifs://[user@]server[:port]/share/dir/image.img")
            : Try("root", () => CifsRoot.Parse(rootValue));

        // ro and rw: the later one wins, as in the kernel (init/do_mounts.c).
        bool readOnly = cmdline.LastIndexOf("ro") > cmdline.LastIndexOf("rw");

        string? fsType = cmdline.Last("rootfstype");
        if (fsType is "" or "auto") fsType = null;
        if (fsType is not null && !KnownFileSystems.Contains(fsType))
        {
            errors.Add($"rootfstype={fsType}: not one of {string.Join(", ", KnownFileSystems)} (or auto)");
        }
        if (root is { IsImage: false } && fsType is not null && fsType != "cifs")
        {
            errors.Add($"rootfstype={fsType}: root= ends with '/', so the share itself is the root and there is no image filesystem");
        }

        var mount = Try("rootflags", () => MountOptions.Parse(cmdline.Last("rootflags"), readOnly));
        var extra = Try("rd.cifs.opts", () => CifsOptions.ParseExtra(cmdline.Last("rd.cifs.opts")));
        var network = Try("ip", () => NetworkConfig.Parse(cmdline.Last("ip")));
        byte[]? bootInterface = null;
        if (cmdline.Last("BOOTIF") is { } bootIf)
        {
            try { bootInterface = NetworkConfig.ParseBootInterface(bootIf); }
            catch (PlanException e) { errors.Add(e.Message); }
        }

        string credentials = cmdline.Last("rd.cifs.credentials") ?? DefaultCredentialsPath;
        if (!credentials.StartsWith('/')) errors.Add($"rd.cifs.credentials={credentials}: expected an absolute path inside the initramfs");

        string init = cmdline.Last("init") ?? DefaultInit;
        if (!init.StartsWith('/')) errors.Add($"init={init}: expected an absolute path inside the root filesystem, e.g. /sbin/init");

        int retry = DefaultRetrySeconds;
        string? retryText = cmdline.Last("rd.retry");
        if (retryText is not null && !int.TryParse(retryText, NumberStyles.None, CultureInfo.InvariantCulture, out retry))
        {
            errors.Add($"rd.retry={retryText}: expected a number of seconds (0 = no retry)");
        }

        bool shell = ParseBool(cmdline, "rd.shell", errors);
        bool debug = ParseBool(cmdline, "rd.debug", errors);

        var breakPoint = BreakPoint.None;
        string? breakValue = cmdline.Last("rd.break");
        switch (breakValue)
        {
            case null: break;
            case "pre-mount": breakPoint = BreakPoint.PreMount; break;
            case "pre-switch" or "pre-pivot": breakPoint = BreakPoint.PreSwitch; break;
            default: errors.Add($"rd.break={breakValue}: expected pre-mount or pre-switch"); break;
        }

        var mode = BootMode.Auto;
        string? modeValue = cmdline.Last("smbroot.mode");
        switch (modeValue)
        {
            case null or "auto": break;
            case "guard": mode = BootMode.Guard; break;
            case "handoff": mode = BootMode.Handoff; break;
            default: errors.Add($"smbroot.mode={modeValue}: expected auto, guard or handoff"); break;
        }

        // In guard mode a halt or power-off inside the system reaches us as the same signal
        // (kernel/pid_namespace.c, reboot_pid_ns), so which of the two it becomes is configured.
        var haltVerb = ShutdownVerb.PowerOff;
        string? haltValue = cmdline.Last("smbroot.halt");
        switch (haltValue)
        {
            case null or "poweroff": break;
            case "halt": haltVerb = ShutdownVerb.Halt; break;
            default: errors.Add($"smbroot.halt={haltValue}: expected poweroff or halt"); break;
        }

        // Signing by default: the root's blocks travel over the network, and whoever can change them owns the machine.
        var integrity = Integrity.Sign;
        string? integrityValue = cmdline.Last("rd.cifs.integrity");
        switch (integrityValue)
        {
            case null or "sign": break;
            case "seal": integrity = Integrity.Seal; break;
            case "off": integrity = Integrity.Off; break;
            default: errors.Add($"rd.cifs.integrity={integrityValue}: expected sign (the default), seal or off"); break;
        }
        // sign or seal in rd.cifs.opts asks for at least that much; the stronger of the two wins.
        if (extra?.Contains("seal") == true) integrity = Integrity.Seal;
        else if (extra?.Contains("sign") == true && integrity == Integrity.Off) integrity = Integrity.Sign;

        var fencing = ParseFencing(cmdline, errors);
        OverlayLayer? overlay = null;
        if (cmdline.Last("rd.overlay") is { } overlayValue)
        {
            overlay = Try("rd.overlay", () => OverlayLayer.Parse(overlayValue));
            if (root is { IsImage: false }) errors.Add("rd.overlay=: root= ends with '/', so the share itself is the root; an overlay needs an image file as its lower layer");
        }
        overlay = ParseLayerFile(cmdline, overlay, root, errors);

        if (errors.Count > 0) throw new PlanException(string.Join("\n", errors));
        return new BootPlan(root!, fsType, mount!, readOnly, extra!, credentials, network!, init,
            cmdline.InitArguments, retry, shell, breakPoint, debug, mode, haltVerb, bootInterface, integrity, fencing, overlay);
    }

    private static FencingPolicy ParseFencing(KernelCommandLine cmdline, List<string> errors)
    {
        int Seconds(string key, int fallback, int min)
        {
            string? text = cmdline.Last(key);
            if (text is null) return fallback;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= FencingPolicy.MaxSeconds) return value;
            errors.Add($"{key}={text}: expected a number of seconds from {min} to {FencingPolicy.MaxSeconds}");
            return fallback;
        }
        int deadline = Seconds("rd.fence.deadline", FencingPolicy.DefaultDeadlineSeconds, FencingPolicy.MinDeadlineSeconds);
        int margin = Seconds("rd.fence.margin", FencingPolicy.DefaultMarginSeconds, FencingPolicy.MinMarginSeconds);
        bool watchdog = true;
        switch (cmdline.Last("rd.fence.watchdog"))
        {
            case null or "softdog": break;
            case "none": watchdog = false; break;
            case var other: errors.Add($"rd.fence.watchdog={other}: expected softdog (the default) or none"); break;
        }
        return new FencingPolicy(TimeSpan.FromSeconds(deadline), TimeSpan.FromSeconds(margin), watchdog);
    }

    private static T? Fail<T>(List<string> errors, string message) where T : class
    {
        errors.Add(message);
        return null;
    }

    /// <summary>dracut's boolean keys: bare <c>key</c> or <c>key=1</c> is on, <c>key=0</c> is off.</summary>
    /// <summary>rd.overlay.create= and rd.overlay.reset, which only a persistent layer takes; and that layer is on the root's share.</summary>
    private static OverlayLayer? ParseLayerFile(KernelCommandLine cmdline, OverlayLayer? overlay, CifsRoot? root, List<string> errors)
    {
        string? createText = cmdline.Last("rd.overlay.create");
        bool reset = ParseBool(cmdline, "rd.overlay.reset", errors);
        if (overlay?.File is not { } file)
        {
            if (createText is not null || reset) errors.Add("rd.overlay.create= and rd.overlay.reset are for a persistent layer: rd.overlay=cifs://server/share/dir/{mac}.img");
            return overlay;
        }
        long? create = null;
        if (createText is not null)
        {
            try { create = LayerFile.ParseCreateSize(createText); }
            catch (PlanException e) { errors.Add(e.Message); }
        }
        if (root is not null && (!string.Equals(file.Server, root.Server, StringComparison.OrdinalIgnoreCase) || !string.Equals(file.Share, root.Share, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"rd.overlay=cifs://{file.Server}/{file.Share}/...: the layer must be on the root's share, //{root.Server}/{root.Share} (one mount, one set of credentials)");
        }
        return overlay with { File = file with { CreateBytes = create, Reset = reset } };
    }

    private static bool ParseBool(KernelCommandLine cmdline, string key, List<string> errors)
    {
        string? value = cmdline.Last(key);
        switch (value)
        {
            case null: return false;
            case "" or "1" or "yes" or "true" or "on": return true;
            case "0" or "no" or "false" or "off": return false;
            default: errors.Add($"{key}={value}: expected {key}, {key}=1 or {key}=0"); return false;
        }
    }

    /// <summary>A human-readable summary for the console and <c>--check-cmdline</c>; never contains a secret.</summary>
    public string Describe() => string.Join('\n', new[] {
        $"root:        {Root} ({(Root.IsImage ? "image file on a loop device" : "share directory as the root")})",
        $"filesystem:  {RootFsType ?? "detect from the superblock"}{(RootMount.Data.Length > 0 ? $", options {RootMount.Data}" : "")}, {(ReadOnly ? "read-only" : "read-write")}",
        (Overlay is null ? null : $"overlay:     {Overlay.Describe()}"),
        $"network:     {Network}" + (BootInterface is null ? "" : $", the NIC with MAC {Convert.ToHexString(BootInterface).ToLowerInvariant()} (BOOTIF)"),
        $"cifs:        {(CifsExtraOptions.Count == 0 ? "defaults (vers=3.1.1,hard)" : string.Join(',', CifsExtraOptions))}, credentials {CredentialsPath}",
        $"integrity:   {Integrity.Name()}: {Integrity.Meaning()} (rd.cifs.integrity=)",
        $"init:        {Init}{(InitArguments.Count == 0 ? "" : " " + string.Join(' ', InitArguments))} (mode {Mode.ToString().ToLowerInvariant()}; a halt inside the system ends in {HaltVerb.Name()})",
        (ImageReadOnly || !Root.IsImage ? null : $"fencing:     {Fencing.Describe()}"),
        $"on failure:  {(RetrySeconds > 0 ? $"retry for {RetrySeconds}s, then " : "")}{(Shell ? "rescue shell" : "retry/reboot prompt")}" +
            (Break == BreakPoint.None ? "" : $"; break at {(Break == BreakPoint.PreMount ? "pre-mount" : "pre-switch")}")}.OfType<string>());
}
