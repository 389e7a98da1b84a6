namespace SmbRoot.Core.Modules;

/// <summary>
/// What depmod wrote under /lib/modules/VERSION: modules.dep (hard dependencies), modules.softdep
/// (load-order hints, including those extracted from the modules' own modinfo), modules.builtin
/// and modules.alias. Pure: the caller reads the files. See modules.dep(5), modprobe.d(5).
/// </summary>
public sealed class ModuleIndex
{
    private readonly Dictionary<string, string> _paths = new();
    private readonly Dictionary<string, string[]> _dependencies = new();
    private readonly Dictionary<string, List<string>> _softPre = new();
    private readonly Dictionary<string, List<string>> _softPost = new();
    private readonly HashSet<string> _builtin = new();
    private readonly List<(string Pattern, string Module)> _aliases = new();

    /// <summary>Module names treat '-' and '_' alike (kmod's modname_normalize).</summary>
    public static string Normalize(string name) => name.Replace('-', '_');

    /// <summary><c>kernel/fs/xfs/xfs.ko.xz</c> → <c>xfs</c>.</summary>
    public static string NameFromPath(string path)
    {
        string file = path[(path.LastIndexOf('/') + 1)..];
        int ko = file.IndexOf(".ko", StringComparison.Ordinal);
        return Normalize(ko < 0 ? file : file[..ko]);
    }

    public IEnumerable<string> ModuleNames => _paths.Keys;

    public string PathOf(string module) => _paths[module];

    public IReadOnlyList<string> DependenciesOf(string module) => _dependencies.GetValueOrDefault(module) ?? [];

    public static ModuleIndex Parse(string modulesDep, string? modulesSoftdep = null, string? modulesBuiltin = null, string? modulesAlias = null)
    {
        var index = new ModuleIndex();
        foreach (var (line, number) in Lines(modulesDep))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) throw new FormatException($"modules.dep line {number}: expected 'path: dependencies'");
            string path = line[..colon].Trim();
            string name = NameFromPath(path);
            index._paths[name] = path;
            index._dependencies[name] = line[(colon + 1)..]
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(NameFromPath).ToArray();
        }
        foreach (var (line, number) in Lines(modulesSoftdep ?? ""))
        {
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words[0] != "softdep") continue;
            if (words.Length < 3) throw new FormatException($"modules.softdep line {number}: expected 'softdep module pre: ... post: ...'");
            string module = Normalize(words[1]);
            // Words before any "pre:" or "post:" are taken as pre: these are crypto and nls helpers the
            // module wants present before it loads (cifs in 6.1 declares MODULE_SOFTDEP("gcm") this way).
            var target = Get(index._softPre, module);
            foreach (var word in words.Skip(2))
            {
                if (word == "pre:") target = Get(index._softPre, module);
                else if (word == "post:") target = Get(index._softPost, module);
                else target.Add(word);
            }
        }
        foreach (var (line, _) in Lines(modulesBuiltin ?? ""))
        {
            index._builtin.Add(NameFromPath(line.Trim()));
        }
        foreach (var (line, _) in Lines(modulesAlias ?? ""))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 3 && words[0] == "alias") index._aliases.Add((words[1], Normalize(words[2])));
        }
        return index;
    }

    private static List<string> Get(Dictionary<string, List<string>> map, string key) =>
        map.TryGetValue(key, out var list) ? list : map[key] = new List<string>();

    private static IEnumerable<(string Line, int Number)> Lines(string text)
    {
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            yield return (line, number);
        }
    }

    public bool IsBuiltin(string name) => _builtin.Contains(Normalize(name));

    public bool Contains(string name) => _paths.ContainsKey(Normalize(name));

    /// <summary>
    /// Module names for a name that may be an alias (<c>crypto-crc32c</c>): the module itself when
    /// it exists, else every module whose alias pattern (shell glob) matches.
    /// </summary>
    public IReadOnlyList<string> Resolve(string nameOrAlias)
    {
        string name = Normalize(nameOrAlias);
        if (_paths.ContainsKey(name) || _builtin.Contains(name)) return [name];
        return _aliases.Where(a => Glob.Matches(a.Pattern, nameOrAlias) || Glob.Matches(a.Pattern, name))
            .Select(a => a.Module).Distinct().ToArray();
    }

    /// <summary>
    /// Whether <paramref name="module"/> can work on the CPU whose modalias is <paramref name="cpuModalias"/>
    /// (/sys/devices/system/cpu/modalias; null where there is none). A module that declares x86 CPU
    /// features (MODULE_DEVICE_TABLE(x86cpu), aliases like <c>cpu:type:x86,ven*fam*mod*:feature:*0099*</c>)
    /// is for the CPUs that match one of them, as udev decides. On another it fails with ENODEV, but
    /// only after the kernel has read, checked and laid out the whole module. Every other module fits.
    /// </summary>
    public bool FitsCpu(string module, string? cpuModalias)
    {
        var features = _aliases.Where(a => a.Module == module && a.Pattern.StartsWith("cpu:", StringComparison.Ordinal)).ToList();
        return features.Count == 0 || cpuModalias is null || features.Any(a => Glob.Matches(a.Pattern, cpuModalias));
    }

    private const int MaxDepth = 200;

    /// <summary>
    /// The load order for <paramref name="wanted"/>: each module after its hard dependencies and its
    /// soft "pre" dependencies, and before its soft "post" ones; built-ins are left out.
    /// A wanted module that is neither a module nor built in is an error; a soft dependency that is
    /// missing is only reported, as modprobe does. A module reached through a soft dependency that
    /// <paramref name="leaveOut"/> rejects (one not for this CPU) is left out with the dependencies
    /// only it needs (aesni_intel's cryptd and crypto_simd are not loaded for nothing), and so is a
    /// module reached that way which needs it.
    /// </summary>
    public LoadOrder Closure(IEnumerable<string> wanted, Func<string, bool>? leaveOut = null)
    {
        var order = new List<string>();
        var missing = new List<string>();
        var missingSoft = new List<string>();
        var leftOut = new List<string>();
        var required = new HashSet<string>();
        var state = new Dictionary<string, bool>(); // false = being visited, true = done

        var leftOutSet = new HashSet<string>();

        void LeaveOut(string module)
        {
            if (leftOutSet.Add(module)) leftOut.Add(module);
        }

        void Visit(string name, bool soft, int depth)
        {
            // Real chains are a handful deep; a modules.dep that goes deeper is broken, and must not overflow the stack.
            if (depth > MaxDepth) throw new FormatException($"modules.dep: a dependency chain deeper than {MaxDepth} modules at {name}");
            // An alias may name a module that modules.dep does not list: missing, like any other name.
            var resolved = Resolve(name).Where(m => _paths.ContainsKey(m) || _builtin.Contains(m)).ToList();
            if (resolved.Count == 0)
            {
                (soft ? missingSoft : missing).Add(name);
                return;
            }
            foreach (var module in resolved)
            {
                if (_builtin.Contains(module) && !_paths.ContainsKey(module)) continue;
                if (!soft) required.Add(module);
                // Once left out, a module stays out for every soft path that reaches it: walking it again
                // from each path is exponential in layered diamonds of soft dependencies.
                else if (!state.ContainsKey(module) && (leftOutSet.Contains(module) || leaveOut?.Invoke(module) == true))
                {
                    LeaveOut(module);
                    continue;
                }
                if (state.TryGetValue(module, out bool done))
                {
                    if (!done && !soft) throw new FormatException($"modules.dep: dependency cycle through {module}");
                    continue;
                }
                state[module] = false;
                foreach (var pre in _softPre.GetValueOrDefault(module) ?? []) Visit(pre, soft: true, depth + 1);
                var dependencies = _dependencies.GetValueOrDefault(module) ?? [];
                foreach (var dependency in dependencies) Visit(dependency, soft, depth + 1);
                // A soft module that needs one left out could only fail to load: it goes too.
                if (soft && dependencies.Any(d => !state.ContainsKey(d) && leftOutSet.Contains(d)))
                {
                    state.Remove(module);
                    LeaveOut(module);
                    continue;
                }
                state[module] = true;
                order.Add(module);
                foreach (var post in _softPost.GetValueOrDefault(module) ?? []) Visit(post, soft: true, depth + 1);
            }
        }

        foreach (var name in wanted) Visit(name, soft: false, 0);
        return new LoadOrder(order, missing, missingSoft, order.Where(m => !required.Contains(m)).ToHashSet(), leftOut.Where(m => !state.ContainsKey(m)).ToList());
    }

    /// <summary>A modules.dep holding only <paramref name="modules"/> (the initramfs ships a subset).</summary>
    public string WriteDep(IEnumerable<string> modules) =>
        string.Concat(modules.OrderBy(m => _paths[m], StringComparer.Ordinal)
            .Select(m => $"{_paths[m]}:{string.Concat(_dependencies[m].Select(d => " " + _paths[d]))}\n"));

    /// <summary>A modules.softdep holding the soft dependencies of <paramref name="modules"/>.</summary>
    public string WriteSoftdep(IEnumerable<string> modules) =>
        string.Concat(modules.OrderBy(m => m, StringComparer.Ordinal)
            .Where(m => _softPre.ContainsKey(m) || _softPost.ContainsKey(m))
            .Select(m => $"softdep {m}" +
                (_softPre.TryGetValue(m, out var pre) && pre.Count > 0 ? " pre: " + string.Join(' ', pre) : "") +
                (_softPost.TryGetValue(m, out var post) && post.Count > 0 ? " post: " + string.Join(' ', post) : "") + "\n"));

    /// <summary>Adds soft dependencies found in a module's own modinfo (<c>softdep=pre: a b post: c</c>).</summary>
    public void AddSoftdepFromModinfo(string module, string softdep)
    {
        var target = Get(_softPre, module);
        foreach (var word in softdep.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word == "pre:") target = Get(_softPre, module);
            else if (word == "post:") target = Get(_softPost, module);
            else if (!target.Contains(word)) target.Add(word);
        }
    }
}

/// <param name="SoftOnly">
/// Modules reached only through soft dependencies. They may fail to load without harm: the
/// CPU-accelerated crypto drivers (sha512_ssse3, aesni_intel) refuse with ENODEV on a CPU that
/// lacks the instructions, and the generic ones take over.
/// </param>
/// <param name="LeftOut">Soft dependencies the caller's test rejected, and those that need one; what only they needed is left out too.</param>
public sealed record LoadOrder(IReadOnlyList<string> Modules, IReadOnlyList<string> Missing, IReadOnlyList<string> MissingSoft, IReadOnlySet<string> SoftOnly,
    IReadOnlyList<string> LeftOut);
