using SmbRoot.Core.State;
using SmbRoot.Guard;
using SmbRoot.Interop;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 8: copy what the final stage needs (this binary and its libraries, listed in
/// /etc/smbroot/retain by the initramfs builder) into /run/initramfs, which survives the switch,
/// and leave the state file the final stage reads back.
/// </summary>
public sealed class RetainStep : IBootStep
{
    private const string Manifest = "/etc/smbroot/retain";
    private readonly List<string> _copied = [];

    public string Name => "retain";
    public bool Retryable => false;

    public void Run(BootContext context)
    {
        foreach (var file in File.ReadAllLines(Manifest).Where(l => l.StartsWith('/')))
        {
            // The init binary is the final stage too: systemd runs /run/initramfs/shutdown (bootup(7)).
            string target = BootContext.RetainedRamdisk + (file == "/init" ? "/shutdown" : file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
            _copied.Add(target);
        }
        var plan = context.Plan;
        var state = new BootState(BootContext.ShareMountPoint, plan.Root.Unc,
            plan.Root.IsImage ? plan.Root.ImagePathInShare : null, context.LoopDevice, context.FileSystem,
            context.Interface ?? "", $"{context.Address}/{context.PrefixLength}", context.Gateway?.ToString(),
            plan.Mode.ToString().ToLowerInvariant());
        File.WriteAllText(BootState.Path, state.Serialize());
        _copied.Add(BootState.Path);
        File.WriteAllText(RetainedBinary.ClientWrapper, RetainedBinary.ClientScript());
        File.SetUnixFileMode(RetainedBinary.ClientWrapper, (UnixFileMode)0x1C0); // 0700: the control socket is root's anyway
        _copied.Add(RetainedBinary.ClientWrapper);
        Sys.MakeDirectory(BootContext.RetainedRamdisk + "/oldroot");
    }

    public void Undo(BootContext context)
    {
        foreach (var file in _copied) File.Delete(file);
        _copied.Clear();
    }
}
