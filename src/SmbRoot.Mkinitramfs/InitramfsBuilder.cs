using SmbRoot.Core.Initramfs;
using System.Diagnostics;
using System.IO.Compression;
using SmbRoot.Core.Modules;

namespace SmbRoot.Mkinitramfs;

/// <summary>What goes into the initramfs, gathered from the host.</summary>
public sealed record InitramfsInputs(
    string InitBinary,
    string ModulesDirectory,
    string? LayoutDirectory,
    string? CredentialsFile,
    ModuleSelection Modules,
    uint Mtime);

/// <summary>
/// Assembles the initramfs: /init and its ELF libraries, the kernel module closure with a trimmed
/// modules.dep, the static layout, and the optional credentials file, as one deterministic cpio.
/// </summary>
public static class InitramfsBuilder
{
    /// <summary>Where the retained-ramdisk manifest lives: the files the final stage needs after the switch.</summary>
    public const string RetainManifest = "etc/smbroot/retain";

    private static readonly string[] LibraryDirectories =
        ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"];

    public static CpioWriter Assemble(InitramfsInputs inputs, TextWriter log)
    {
        var archive = new CpioWriter();
        foreach (var directory in new[] { "dev", "proc", "sys", "run", "sysroot", "tmp", "etc/smbroot" })
        {
            archive.AddDirectory(directory);
        }
        // The kernel opens /dev/console for init's stdio before init runs (init/main.c, console_on_rootfs),
        // so the node has to be in the archive: devtmpfs is not mounted yet.
        archive.AddCharDevice("dev/console", 5, 1);
        archive.AddDirectory("tmp", 0x3FF | 0x200); // 1777
        // No /sbin/modprobe: the kernel runs it for every module its own start asks for
        // (kernel/module/kmod.c, request_module; the crypto self-tests ask for several) while the
        // archive is unpacked, and each would start the init: 0.8 s in all under emulation.
        // The boot loads what it needs by name, with on-demand loading off (Boot/OnDemandModules).

        if (inputs.LayoutDirectory is not null) AddTree(archive, inputs.LayoutDirectory);

        var retained = new List<string> { "init" };
        archive.AddFile("init", File.ReadAllBytes(inputs.InitBinary), 0x1ED);
        foreach (var (source, target) in LibraryClosure(inputs.InitBinary))
        {
            archive.AddFile(target, File.ReadAllBytes(source), 0x1ED);
            retained.Add(target);
            log.WriteLine($"  library {target} (from {source})");
        }
        archive.AddFile(RetainManifest, System.Text.Encoding.UTF8.GetBytes(string.Concat(retained.Select(r => "/" + r + "\n"))));

        AddModules(archive, inputs, log);
        archive.AddFile("etc/smbroot/layer-template", LayerTemplateImage.Make(inputs.Mtime));

        if (inputs.CredentialsFile is not null)
        {
            // Only root may read it (the same rule mount.cifs asks of credentials files).
            archive.AddFile("etc/smbroot/credentials", File.ReadAllBytes(inputs.CredentialsFile), 0x180);
        }
        return archive;
    }

    private static void AddTree(CpioWriter archive, string root)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(root, path).Replace('\\', '/');
            var info = new FileInfo(path);
            uint permissions = (uint)File.GetUnixFileMode(path) & 0xFFF;
            if (info.LinkTarget is not null) archive.AddSymlink(relative, info.LinkTarget);
            else if (Directory.Exists(path)) archive.AddDirectory(relative, permissions);
            else archive.AddFile(relative, File.ReadAllBytes(path), permissions);
        }
    }

    /// <summary>
    /// The interpreter and every DT_NEEDED library, recursively, as (host file, archive path).
    /// Libraries go to /lib/x86_64-linux-gnu, one of glibc's built-in search directories on Debian,
    /// so no ld.so.cache is needed.
    /// </summary>
    public static IReadOnlyList<(string Source, string Target)> LibraryClosure(string binary)
    {
        var result = new List<(string, string)>();
        var seen = new HashSet<string>();
        var pending = new Queue<string>([binary]);
        while (pending.Count > 0)
        {
            string file = pending.Dequeue();
            var elf = new ElfFile(File.ReadAllBytes(file), file);
            if (elf.Interpreter is { } interpreter && seen.Add(interpreter))
            {
                result.Add((interpreter, interpreter.TrimStart('/')));
                // libc names the loader as DT_NEEDED too; the loader answers to its own soname, so one copy does.
                seen.Add(Path.GetFileName(interpreter));
            }
            foreach (var library in elf.Needed)
            {
                if (!seen.Add(library)) continue;
                string source = LibraryDirectories.Select(d => Path.Combine(d, library)).FirstOrDefault(File.Exists)
                    ?? throw new FileNotFoundException($"{file} needs {library}, which is in none of {string.Join(", ", LibraryDirectories)}");
                result.Add((source, "lib/x86_64-linux-gnu/" + library));
                pending.Enqueue(source);
            }
        }
        return result;
    }

    /// <summary>
    /// The modules <paramref name="modules"/> need, dependencies and soft dependencies first, in
    /// load order, with the modules' own softdep= modinfo added in case depmod's modules.softdep lacks it.
    /// </summary>
    public static (ModuleIndex Index, LoadOrder Closure) ModuleClosure(string modulesDirectory, IEnumerable<string> modules, TextWriter log)
    {
        string dir = modulesDirectory;
        string Read(string name) => File.Exists(Path.Combine(dir, name)) ? File.ReadAllText(Path.Combine(dir, name)) : "";
        var index = ModuleIndex.Parse(Read("modules.dep"), Read("modules.softdep"), Read("modules.builtin"), Read("modules.alias"));
        var wanted = modules.ToArray();
        foreach (var module in index.Closure(wanted).Modules)
        {
            string path = Path.Combine(dir, index.PathOf(module));
            if (!path.EndsWith(".ko", StringComparison.Ordinal)) continue;
            foreach (var (key, value) in new ElfFile(File.ReadAllBytes(path), path).ReadKeyValueSection(".modinfo"))
            {
                if (key == "softdep") index.AddSoftdepFromModinfo(module, value);
            }
        }
        var closure = index.Closure(wanted);
        foreach (var missing in closure.Missing) log.WriteLine($"  note: module {missing} is not in {dir}; left out");
        foreach (var missing in closure.MissingSoft) log.WriteLine($"  note: soft dependency {missing} is not in {dir}; left out");
        return (index, closure);
    }

    private static void AddModules(CpioWriter archive, InitramfsInputs inputs, TextWriter log)
    {
        string dir = inputs.ModulesDirectory;
        string version = Path.GetFileName(dir.TrimEnd('/'));
        string Read(string name) => File.Exists(Path.Combine(dir, name)) ? File.ReadAllText(Path.Combine(dir, name)) : "";
        var (index, closure) = ModuleClosure(dir, inputs.Modules.Wanted, log);
        if (inputs.Modules.Named.Where(closure.Missing.Contains).ToArray() is { Length: > 0 } missing)
        {
            throw new FileNotFoundException($"no kernel module {string.Join(", ", missing)} in {dir} (modules.dep), neither built in");
        }

        string target = "lib/modules/" + version + "/";
        foreach (var module in closure.Modules)
        {
            archive.AddFile(target + index.PathOf(module), File.ReadAllBytes(Path.Combine(dir, index.PathOf(module))));
        }
        var shipped = closure.Modules.ToHashSet();
        archive.AddFile(target + "modules.dep", System.Text.Encoding.UTF8.GetBytes(index.WriteDep(closure.Modules)));
        archive.AddFile(target + "modules.softdep", System.Text.Encoding.UTF8.GetBytes(index.WriteSoftdep(closure.Modules)));
        archive.AddFile(target + "modules.builtin", System.Text.Encoding.UTF8.GetBytes(Read("modules.builtin")));
        var aliases = Read("modules.alias").Split('\n')
            .Where(l => l.StartsWith("alias ", StringComparison.Ordinal) && shipped.Contains(ModuleIndex.Normalize(l.Split(' ').Last())));
        archive.AddFile(target + "modules.alias", System.Text.Encoding.UTF8.GetBytes(string.Concat(aliases.Select(a => a + "\n"))));
        log.WriteLine($"  {closure.Modules.Count} kernel modules for {version}");
    }

    /// <summary>
    /// gzip with a zero timestamp and no file name, so the output is reproducible.
    /// </summary>
    private static void WriteGzip(MemoryStream cpio, string outputPath, Action<long, long>? progress)
    {
        using var file = File.Create(outputPath);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        CopyReporting(cpio, gzip, progress);
    }

    /// <summary>
    /// xz as the kernel unpacks it (lib/decompress_unxz.c): CRC32 check, not CRC64; one thread, so
    /// the same archive always gives the same bytes. A quarter smaller than gzip for this archive.
    /// The dictionary is small (<see cref="XzDictionary"/>): the kernel's unpacker allocates the
    /// whole dictionary the header declares (XZ_DYNALLOC, lib/xz/xz_dec_lzma2.c), and preset 9's
    /// 64 MiB would be taken from a machine that may have only a few times that. Four literal
    /// context bits (lc=4, the most LZMA2 allows with lp=0) suit the kernel modules and ELF files
    /// that fill it: 11 KB less.
    /// </summary>
    private static void WriteXz(MemoryStream cpio, string outputPath, Action<long, long>? progress) =>
        Compress("xz", ["--format=xz", "--check=crc32", $"--lzma2=preset=9e,dict={XzDictionary(cpio.Length)},lc=4", "--threads=1", "--stdout"], "xz-utils", cpio, outputPath, progress);

    /// <summary>
    /// zstd at level 19, one thread, so the same archive always gives the same bytes. A tenth larger
    /// than xz, but the kernel unpacks it several times faster, and under emulation the unpack is
    /// most of the time from the kernel's start to /init (`./build.sh bench peer`). The window is
    /// level 19's 8 MiB, which the kernel's unpacker allocates (zstd_dstream_workspace_bound,
    /// lib/decompress_unzstd.c): less than xz's dictionary.
    /// </summary>
    private static void WriteZstd(MemoryStream cpio, string outputPath, Action<long, long>? progress) =>
        Compress("zstd", ["-19", "--single-thread", "--quiet", "--stdout"], "zstd", cpio, outputPath, progress);

    /// <summary>Pipes <paramref name="cpio"/> through <paramref name="tool"/> into <paramref name="outputPath"/>.</summary>
    private static void Compress(string tool, string[] arguments, string package, MemoryStream cpio, string outputPath, Action<long, long>? progress)
    {
        var process = Process.Start(new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true,
        }) ?? throw new IOException($"cannot start {tool} (Debian: {package})");
        using (var file = File.Create(outputPath))
        {
            var copy = process.StandardOutput.BaseStream.CopyToAsync(file);
            using (var input = process.StandardInput.BaseStream) CopyReporting(cpio, input, progress);
            copy.Wait();
        }
        process.WaitForExit();
        if (process.ExitCode != 0) throw new IOException($"{tool} exited with {process.ExitCode}");
    }

    /// <summary>Copies the archive into the compressor a mebibyte at a time, saying how far it is (bytes done, bytes in all).</summary>
    private static void CopyReporting(MemoryStream cpio, Stream into, Action<long, long>? progress)
    {
        var bytes = cpio.GetBuffer();
        for (long done = 0; done < cpio.Length;)
        {
            int chunk = (int)Math.Min(1 << 20, cpio.Length - done);
            into.Write(bytes, (int)done, chunk);
            done += chunk;
            progress?.Invoke(done, cpio.Length);
        }
    }

    /// <summary>
    /// The dictionary for <paramref name="inputBytes"/> of input: the input's size, within what xz
    /// takes (4 KiB) and 12 MiB. xz writes it in the header rounded up to 2^n or 3·2^(n-1) bytes, so
    /// the kernel allocates at most half again the archive's size. Past 12 MiB the common archive
    /// (22 MiB) shrinks by 5 KB at most; below 12 MiB it grows by 20 KB at 8 MiB. The 12 MiB saved
    /// against the archive's size let it unpack in a 128 MiB machine (./build.sh bench memory).
    /// </summary>
    public static long XzDictionary(long inputBytes) => Math.Clamp(inputBytes, 4096, 12L << 20);

    /// <summary>What <see cref="Write"/> takes as its compression.</summary>
    public static readonly string[] Compressions = ["gzip", "xz", "zstd"];

    /// <summary>
    /// Writes the archive compressed with <paramref name="compression"/> (one of <see cref="Compressions"/>);
    /// <paramref name="progress"/> hears how much of the archive the compressor has taken.
    /// </summary>
    public static void Write(CpioWriter archive, string outputPath, uint mtime, string compression, Action<long, long>? progress = null)
    {
        if (!Compressions.Contains(compression)) throw new ArgumentException($"unknown compression '{compression}': expected {string.Join(", ", Compressions)}");
        var cpio = new MemoryStream();
        archive.Write(cpio, mtime);
        switch (compression)
        {
            case "gzip": WriteGzip(cpio, outputPath, progress); break;
            case "xz": WriteXz(cpio, outputPath, progress); break;
            default: WriteZstd(cpio, outputPath, progress); break;
        }
    }
}
