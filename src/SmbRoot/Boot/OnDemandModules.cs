using SmbRoot.Interop;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>
/// The kernel's own module requests, switched off while the boot runs. The SMB3 negotiate and the
/// first signed message instantiate crypto templates (gcm(aes), cmac(aes), hmac(sha256), ...),
/// and for each the kernel first asks for a module by name (crypto/api.c, crypto_larval_lookup
/// calls request_module twice), which starts the helper kernel.modprobe names (kernel/module/kmod.c).
/// Every module they could want is loaded already by then, and the initramfs has no
/// /sbin/modprobe, so each request only costs the kernel a helper thread and a failed exec. With
/// kernel.modprobe empty the kernel answers ENOENT at once, and the templates are built from the
/// modules that are there. Released (the setting put back) before the switch, so the system's own
/// modprobe works as before; the boot's undo does the same.
/// </summary>
public sealed class OnDemandModules : IResource
{
    private const string Setting = "/proc/sys/kernel/modprobe";
    private readonly string? _saved;

    private OnDemandModules(string? saved) => _saved = saved;

    public string Name => "the kernel's on-demand module loading";

    /// <summary>Switches the requests off; if the setting cannot be changed, they go on through the helper (slower, not wrong).</summary>
    public static OnDemandModules Suspend()
    {
        try
        {
            string saved = File.ReadAllText(Setting).Trim();
            KernelSetting.Write(Setting, "");
            return new OnDemandModules(saved);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SysException)
        {
            return new OnDemandModules(null);
        }
    }

    public void Release(Deadline deadline)
    {
        if (_saved is not null) KernelSetting.Write(Setting, _saved);
    }
}
