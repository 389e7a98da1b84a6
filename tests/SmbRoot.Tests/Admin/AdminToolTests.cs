using SmbRoot.Admin;
using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Admin;

/// <summary>The administrator's tool on a share directory made here: what it finds, and the refusals that lose nothing.</summary>
public sealed class AdminToolTests : IDisposable
{
    private readonly string _share = Directory.CreateTempSubdirectory("smbroot-admin-").FullName;

    private static readonly HolderRecord Guest = new(false, "6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e", "52:54:00:77:00:0a", "guest1", "192.168.77.11",
        new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero), 5, TimeSpan.FromSeconds(10));

    public AdminToolTests()
    {
        Write("golden/v1.img", Ext4(80_000));
        Write("golden/v2.img", new byte[90_000]);
        Write("golden/current", "v2.img\n"u8.ToArray());
        Write("golden/broken", "../etc/passwd\n"u8.ToArray());
        Write("machines/a.img", Ext4(70_000));
        Write("machines/a.img.holder", Guest.ToBytes());
    }

    private static byte[] Ext4(int size)
    {
        var bytes = new byte[size];
        bytes[1024 + 0x38] = 0x53;
        bytes[1024 + 0x39] = 0xEF;
        return bytes;
    }

    private void Write(string path, byte[] bytes)
    {
        string full = Path.Combine(_share, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    private (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AdminTool.Run(args, TextReader.Null, false, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_inventory_tells_pointers_golden_and_read_write_images_apart()
    {
        var share = new ShareDirectory(_share);
        var (pointers, images) = ShareInventory.Build(share.Files(), share.ReadHead);
        Assert.Equal([("golden/broken", null), ("golden/current", "golden/v2.img")], pointers.Select(p => (p.Path, p.Target)));
        Assert.Contains("names a path", pointers[0].Problem);
        Assert.Equal(["golden/v1.img", "golden/v2.img", "machines/a.img"], images.Select(i => i.Path));
        Assert.Equal([null, "golden/current"], images.Take(2).Select(i => i.NamedBy.SingleOrDefault()));
        Assert.Equal(["ext4", null, "ext4"], images.Select(i => i.FileSystem));
        Assert.Equal([false, false, true], images.Select(i => i.HasHolderRecord));
    }

    [Fact]
    public void Status_watches_a_silent_record_and_says_when_a_booting_machine_would_take_it()
    {
        var (code, output, _) = Run("status", _share, "--watch", "1");
        Assert.Equal(0, code);
        Assert.Contains("golden/current -> golden/v2.img", output);
        Assert.Matches(@"golden/v2\.img\s+87\.9K\s+unknown\s+golden, named by golden/current", output);
        Assert.Matches(@"holder: guest1 \(MAC 52:54:00:77:00:0a, 192\.168\.77\.11, booted 2026-12-07 10:00:00 UTC\): silent: guest1 has not renewed for \d s as this machine watched; " +
            @"it fences itself after 10 s without renewing; a booting machine takes it after \d+ s more unless it renews", output);
    }

    [Fact]
    public void Release_now_needs_the_holders_name_and_then_marks_the_record_released()
    {
        var refused = Run("release", _share, "machines/a.img", "--now");
        Assert.Equal(2, refused.Code);
        Assert.Contains("--confirm guest1", refused.Error);
        Assert.Contains("state=held", File.ReadAllText(Path.Combine(_share, "machines/a.img.holder")));

        var wrongName = Run("release", _share, "machines/a.img", "--now", "--confirm", "guest2");
        Assert.Equal(2, wrongName.Code);

        var released = Run("release", _share, "machines/a.img", "--now", "--confirm", "guest1");
        Assert.Equal(0, released.Code);
        var record = HolderRecord.Read(File.ReadAllBytes(Path.Combine(_share, "machines/a.img.holder")));
        Assert.Equal(Guest with { Released = true }, Assert.IsType<HolderRecord.Reading.Valid>(record).Record);
        Assert.Contains("is free already", Run("release", _share, "machines/a.img").Output);
    }

    [Theory]
    [InlineData(new[] { "release", "/nonexistent", "a.img" }, 2, "is not a directory")]
    [InlineData(new[] { "status" }, 2, "is not a verb")]
    [InlineData(new[] { "status", "/tmp", "--watch", "x" }, 2, "expected whole seconds")]
    [InlineData(new[] { "release", "{share}", "golden/v1.img" }, 1, "has no holder record")]
    public void Bad_input_is_a_clear_message(string[] args, int code, string message)
    {
        var result = Run(args.Select(a => a.Replace("{share}", _share)).ToArray());
        Assert.Equal(code, result.Code);
        Assert.Contains(message, result.Error);
    }

    public void Dispose() => Directory.Delete(_share, recursive: true);

    [Fact]
    public void A_credentials_archive_holds_the_login_as_the_boot_reads_it_and_shows_the_password_nowhere()
    {
        string archive = Path.Combine(_share, "node7.cpio");
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, AdminTool.Run(["credentials", "node7", "--user", "smbroot", "--domain", "LAB", "--output", archive],
            new StringReader("s3cret, with a comma\n"), false, output, error));
        Assert.DoesNotContain("s3cret", output.ToString() + error.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(archive));
        string text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(archive));
        Assert.Contains("etc/smbroot/credentials", text);
        Assert.Contains("username=smbroot\npassword=s3cret, with a comma\ndomain=LAB\n", text);
        // newc's mode field: a regular file, 0600.
        Assert.Contains("00008180", text);

        var empty = new StringWriter();
        Assert.Equal(1, AdminTool.Run(["credentials", "node7", "--user", "smbroot", "--output", archive], new StringReader(""), false, new StringWriter(), empty));
        Assert.Contains("no password on standard input", empty.ToString());
    }

    /// <summary>A real ext4 image (publish checks it with e2fsck), made by mkfs.ext4 (build.sh test installs e2fsprogs).</summary>
    private void RealExt4(string path)
    {
        string full = Path.Combine(_share, path);
        SmbRoot.Lab.Shell.Run(SmbRoot.Lab.Shell.Require("mkfs.ext4", "e2fsprogs"), "-q", "-F", full, "4M");
    }

    [Fact]
    public void Publish_stamps_the_image_unless_another_pointer_names_it_without_a_stamp_already()
    {
        RealExt4("golden/v3.img");
        var (code, output, error) = Run("publish", _share, "golden/v3.img", "--pointer", "golden/current");
        Assert.True(code == 0, error);
        Assert.Contains("golden/v3.img is stamped with its content's digest (sha256:", output);
        long stamped = new FileInfo(Path.Combine(_share, "golden/v3.img")).Length;
        Assert.Equal(4L * 1024 * 1024 + Core.Images.ContentStamp.Size, stamped);

        // Published again by another pointer: already stamped, left as it is.
        Write("golden/other", "v1.img\n"u8.ToArray());
        (code, output, error) = Run("publish", _share, "golden/v3.img", "--pointer", "golden/other");
        Assert.True(code == 0, error);
        Assert.Contains("golden/v3.img already carries its content's digest", output);
        Assert.Equal(stamped, new FileInfo(Path.Combine(_share, "golden/v3.img")).Length);

        // v4 runs under golden/current with no stamp (published before stamps): another pointer publishes it unstamped.
        RealExt4("golden/v4.img");
        Write("golden/current", "v4.img\n"u8.ToArray());
        byte[] before = File.ReadAllBytes(Path.Combine(_share, "golden/v4.img"));
        (code, output, error) = Run("publish", _share, "golden/v4.img", "--pointer", "golden/other");
        Assert.True(code == 0, error);
        Assert.Contains("golden/v4.img is named by golden/current already and has no content stamp; machines may run it", error);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(_share, "golden/v4.img")));
    }
}
