namespace SmbRoot.Lab;

/// <summary>
/// Two independent file servers on the lab bridge (<see cref="ServerNode"/>s, no cluster between
/// them), each with its own copy of the golden images in its share <see cref="ImagesShare"/>, and
/// each the root of the same DFS namespace: share <see cref="NamespaceShare"/> (Samba's
/// <c>msdfs root</c>) holds the link <see cref="Link"/>, whose two targets are the two servers'
/// image shares. A machine names the namespace on either server; the cifs client follows the link
/// to a target, and to the other when its target stops answering.
/// </summary>
public sealed class DfsTargets : IDisposable
{
    public const string NamespaceShare = "dfs";
    public const string ImagesShare = "images";
    public const string Link = "golden";

    /// <summary>A link whose target is a host name, not an address: the client needs the kernel's dns_resolver upcall to follow it.</summary>
    public const string NamedLink = "named", NamedTarget = "dfs1.smbroot.lab";

    private readonly ServerNode[] _servers;

    public DfsTargets(LabNetwork network, string directory, string password)
    {
        _servers = new ServerNode[2];
        try
        {
            for (int i = 0; i < _servers.Length; i++) _servers[i] = new ServerNode(network, $"dfs{i}", Address(i), Path.Combine(directory, $"server{i}"));
            foreach (var server in _servers) Start(server, password);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string Address(int server) => $"{LabNetwork.Subnet}.{211 + server}";

    public int Count => _servers.Length;

    /// <summary>Where server <paramref name="server"/> keeps <paramref name="pathInShare"/> of its image share.</summary>
    public string ImagePath(int server, string pathInShare) => Path.Combine(_servers[server].Directory, ImagesShare, pathInShare);

    /// <summary>
    /// The namespace's root directory holds the link as Samba writes one: a symbolic link whose
    /// target is <c>msdfs:</c> and the targets (smb.conf(5), "msdfs root"). The targets are
    /// addresses, so the client needs no name lookup (no dns_resolver upcall) to follow it.
    /// </summary>
    private static void Start(ServerNode server, string password)
    {
        string images = Path.Combine(server.Directory, ImagesShare), root = Path.Combine(server.Directory, NamespaceShare);
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(root);
        File.CreateSymbolicLink(Path.Combine(root, Link), "msdfs:" + string.Join(",", Enumerable.Range(0, 2).Select(i => $@"{Address(i)}\{ImagesShare}")));
        File.CreateSymbolicLink(Path.Combine(root, NamedLink), $@"msdfs:{NamedTarget}\{ImagesShare}");
        server.StartSmbd(password, """
              host msdfs = yes
            """, $"""
            [{NamespaceShare}]
              path = {root}
              msdfs root = yes
              read only = yes
              valid users = {SambaServer.User}
            [{ImagesShare}]
              path = {images}
              read only = no
              valid users = {SambaServer.User}
              force user = root
            """);
    }

    /// <summary>
    /// <paramref name="made"/> published as <paramref name="name"/> by the administrator's tool on
    /// server 0 (fsck, content stamp, pointer "current"), then copied with its pointer to server 1
    /// a minute "later" (another modification time, as a copy without -t has). Returns each
    /// server's copy, and what publish said.
    /// </summary>
    public (string[] Copies, string Said) Publish(string made, string name)
    {
        string first = ImagePath(0, name);
        Directory.CreateDirectory(Path.GetDirectoryName(first)!);
        File.Copy(made, first, overwrite: true);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Admin.AdminTool.Run(["publish", Path.GetDirectoryName(first)!, name, "--pointer", "current"], TextReader.Null, false, output, error);
        if (code != 0) throw new InvalidOperationException($"publish exited with {code}:\n{error}\n{output}");
        string second = ImagePath(1, name);
        File.Copy(first, second, overwrite: true);
        File.Copy(ImagePath(0, "current"), ImagePath(1, "current"), overwrite: true);
        File.SetLastWriteTimeUtc(second, File.GetLastWriteTimeUtc(first).AddMinutes(1));
        return ([first, second], output.ToString());
    }

    /// <summary>The kernel command line of guest number <paramref name="guest"/> naming <paramref name="pathUnderLink"/> through the namespace on server <paramref name="server"/>.</summary>
    public static string CommandLine(int server, string pathUnderLink, int guest, string extra = "") =>
        $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@{Address(server)}/{NamespaceShare}/{Link}/{pathUnderLink} " +
        $"ip={LabNetwork.Subnet}.{10 + guest}::{LabNetwork.ServerAddress}:255.255.255.0:guest{guest}:eth0:off rd.retry=0 {extra}".TrimEnd();

    /// <summary>The server whose own smbstatus shows <paramref name="pathInShare"/> open, or null.</summary>
    public int? Serving(string pathInShare) =>
        Enumerable.Range(0, Count).Cast<int?>().FirstOrDefault(i => Status(i!.Value, "-L").Contains(pathInShare));

    /// <summary>The server's daemons die as in a crash (<see cref="ServerNode.Kill"/>); <see cref="Alive"/> is the other from then on.</summary>
    public void Kill(int server)
    {
        _servers[server].Kill();
        Alive = 1 - server;
    }

    /// <summary>The server not killed (0 until one is).</summary>
    public int Alive { get; private set; }

    public string Status(int server, params string[] args) => _servers[server].Status(args);

    public void Dispose()
    {
        foreach (var server in _servers) server?.Dispose();
    }
}
