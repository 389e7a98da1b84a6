namespace SmbRoot.Mkinitramfs;

/// <summary>
/// smbroot-mkinitramfs's options, read the same way from its own command line and from a site's
/// SMBROOT_OPTIONS (/etc/smbroot/mkinitramfs.conf), which smbroot-admin initramfs also reads.
/// </summary>
public sealed record MkinitramfsOptions
{
    public string? Init { get; init; }
    public string? Modules { get; init; }
    public string? Output { get; init; }
    public string? Layout { get; init; }
    public string? Credentials { get; init; }
    public string Compression { get; init; } = "gzip";
    public IReadOnlyList<string> Nics { get; init; } = [];
    public IReadOnlyList<string> FileSystems { get; init; } = [];
    public IReadOnlyList<string> ExtraModules { get; init; } = [];
    public uint Mtime { get; init; } = uint.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out var epoch) ? epoch : 0;
    public bool Help { get; init; }

    public ModuleSelection Selection => new(Nics, FileSystems, ExtraModules);

    /// <summary>The options in <paramref name="args"/>, added to <paramref name="start"/> (the site's, say); an unknown option or a missing value throws ArgumentException.</summary>
    public static MkinitramfsOptions Parse(IReadOnlyList<string> args, MkinitramfsOptions? start = null)
    {
        var options = start ?? new MkinitramfsOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--init": options = options with { Init = Next() }; break;
                case "--modules": options = options with { Modules = Next() }; break;
                case "--output": options = options with { Output = Next() }; break;
                case "--layout": options = options with { Layout = Next() }; break;
                case "--credentials": options = options with { Credentials = Next() }; break;
                case "--nic": options = options with { Nics = [.. options.Nics, .. ModuleSelection.SplitList(Next())] }; break;
                case "--filesystem": options = options with { FileSystems = [.. options.FileSystems, .. ModuleSelection.SplitList(Next())] }; break;
                case "--module": options = options with { ExtraModules = [.. options.ExtraModules, .. ModuleSelection.SplitList(Next())] }; break;
                case "--mtime": options = options with { Mtime = uint.TryParse(Next(), out uint mtime) ? mtime : throw new ArgumentException($"--mtime {args[i]}: expected seconds since 1970") }; break;
                case "--compression":
                    string compression = Next();
                    options = options with
                    {
                        Compression = InitramfsBuilder.Compressions.Contains(compression) ? compression
                            : throw new ArgumentException($"--compression {compression}: expected {string.Join(", ", InitramfsBuilder.Compressions)}"),
                    };
                    break;
                case "-h" or "--help": options = options with { Help = true }; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return options;
    }
}
