using Microsoft.Extensions.Logging;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.Modules;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Boot;

/// <summary>Loads kernel modules with finit_module(2) in the order <see cref="ModuleIndex"/> computes; no modprobe, no shell.</summary>
public sealed class ModuleLoader
{
    private readonly ILogger _log;
    private readonly string _directory;
    private ModuleIndex? _index;

    public ModuleLoader(ILogger log, string kernelRelease)
    {
        _log = log;
        _directory = "/lib/modules/" + kernelRelease;
    }

    private ModuleIndex Index
    {
        get
        {
            if (_index is not null) return _index;
            if (!Directory.Exists(_directory))
            {
                var built = Directory.Exists("/lib/modules") ? string.Join(", ", Directory.GetDirectories("/lib/modules").Select(Path.GetFileName)) : "none";
                throw new BootException($"no kernel modules for the running kernel in {_directory} (the initramfs has: {built})",
                    "build the initramfs for this kernel: ./build.sh --kernel $(uname -r)", permanent: true);
            }
            string Read(string name) => File.Exists(Path.Combine(_directory, name)) ? File.ReadAllText(Path.Combine(_directory, name)) : "";
            return _index = ModuleIndex.Parse(Read("modules.dep"), Read("modules.softdep"), Read("modules.builtin"), Read("modules.alias"));
        }
    }

    private readonly HashSet<string> _coldplugged = [];

    /// <summary>The CPU's features as udev matches them; null where the kernel does not say (then every module is tried).</summary>
    private readonly Lazy<string?> _cpuModalias = new(() =>
    {
        try { return File.ReadAllText("/sys/devices/system/cpu/modalias").Trim(); }
        catch (IOException) { return null; }
    });

    /// <summary>The buses whose devices can be a NIC; the CPU's and others' modaliases would pull in unrelated modules.</summary>
    private static readonly string[] ColdplugBuses = ["pci", "virtio", "usb", "vmbus", "xen"];

    /// <summary>
    /// Coldplug as udev does it, without udev: each device's modalias from /sys matched against
    /// modules.alias (the initramfs's, which lists only what it ships), and the matches loaded.
    /// Devices already seen are skipped, so calling it again picks up only devices that appeared
    /// since (virtio_net's devices appear once virtio_pci has loaded). Returns how many modules it tried.
    /// </summary>
    public int LoadForDevices()
    {
        var wanted = new List<string>();
        foreach (var bus in ColdplugBuses)
        {
            string devices = $"/sys/bus/{bus}/devices";
            if (!Directory.Exists(devices)) continue;
            foreach (var device in Directory.EnumerateDirectories(devices))
            {
                string modalias;
                try { modalias = File.ReadAllText(device + "/modalias").Trim(); }
                catch (IOException) { continue; }
                if (!_coldplugged.Add(modalias)) continue;
                var modules = Index.Resolve(modalias).Where(Index.Contains).ToArray();
                if (modules.Length > 0) _log.Debug($"coldplug: {Path.GetFileName(device)} ({modalias}) wants {string.Join(", ", modules)}");
                wanted.AddRange(modules);
            }
        }
        if (wanted.Count > 0) Load(wanted.Distinct(), optional: true);
        return wanted.Count;
    }

    /// <summary>
    /// Loads <paramref name="wanted"/> with their dependencies. A required module that is missing or
    /// fails is an error; <paramref name="optional"/> ones (NIC drivers for hardware that may not be
    /// there) are skipped quietly when absent.
    /// </summary>
    public void Load(IEnumerable<string> wanted, bool optional = false)
    {
        bool Unfit(string module) => !Index.FitsCpu(module, _cpuModalias.Value);
        // Optional modules that do not fit the CPU are left out before their dependencies are counted.
        var candidates = optional ? wanted.Where(Index.Contains).ToList() : wanted.ToList();
        var unfitWanted = optional ? candidates.Where(Unfit).ToList() : [];
        var order = Index.Closure(candidates.Except(unfitWanted), Unfit);
        if (order.Missing.Count > 0)
        {
            throw new BootException($"kernel module {string.Join(", ", order.Missing)} is not in the initramfs and not built in",
                "rebuild the initramfs with --module NAME (--filesystem NAME for a root filesystem), or use a kernel that has it built in", permanent: true);
        }
        foreach (var soft in order.MissingSoft) _log.Debug($"soft dependency {soft} is not available; going on without it");
        void SayUnfit(string module) => _log.Debug($"module {module} is not for this CPU (it lacks the features the module names); left out");
        foreach (var unfit in unfitWanted.Concat(order.LeftOut)) SayUnfit(unfit);
        var failed = new HashSet<string>();
        foreach (var module in order.Modules)
        {
            if (File.Exists($"/sys/module/{module}/initstate")) continue;
            bool mayFail = optional || order.SoftOnly.Contains(module);
            if (mayFail && Unfit(module))
            {
                failed.Add(module);
                SayUnfit(module);
                continue;
            }
            var failedDependency = Index.DependenciesOf(module).FirstOrDefault(failed.Contains);
            if (failedDependency is not null)
            {
                if (!mayFail) throw new BootException($"kernel module {module} cannot load: its dependency {failedDependency} failed",
                    "dmesg shows the kernel's reason; the modules must match the running kernel", permanent: true);
                failed.Add(module);
                continue;
            }
            string path = Path.Combine(_directory, Index.PathOf(module));
            int fd = Sys.Open(path, Sys.O_RDONLY);
            try
            {
                Sys.FInitModule(fd, "", module);
                _log.Debug($"loaded module {module}");
            }
            catch (SysException e) when (e.Errno == Errno.EEXIST)
            {
                _log.Debug($"module {module} was already loaded");
            }
            catch (SysException e) when (mayFail)
            {
                // ENODEV is a driver saying "no hardware (or CPU feature) for me", which is normal here.
                failed.Add(module);
                _log.Debug($"module {module} did not load ({Errno.Describe(e.Errno)}); going on without it");
            }
            catch (SysException e)
            {
                throw new BootException($"loading kernel module {module} failed: {Errno.Describe(e.Errno)}",
                    "dmesg shows the kernel's reason; the module must match the running kernel", permanent: true, inner: e);
            }
            finally
            {
                Sys.Close(fd);
            }
        }
    }
}
