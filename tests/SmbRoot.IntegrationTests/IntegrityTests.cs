using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// The root's blocks cross the network, so every SMB message of the root must be signed (the
/// default) or sealed. Checked on the wire with a capture of a whole boot, a write and a
/// relinquish, and in the server's own view (smbstatus).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class IntegrityTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    private const string Write = "dd if=/dev/urandom of=/root/blocks bs=64k count=16 conv=fsync 2>/dev/null && echo WRITTEN";

    [Theory]
    [InlineData("sign")]
    [InlineData("seal")]
    public void Every_message_after_the_session_setup_is_protected(string integrity)
    {
        string pathInShare = $"integrity-{integrity}/root.img";
        _lab.AddImage(pathInShare, "ext4");
        using var capture = new SmbCapture(_lab.WorkDirectory, _lab.Samba.Port);
        string extra = "smbroot.halt=halt" + (integrity == "sign" ? "" : $" rd.cifs.integrity={integrity}");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine(pathInShare, extra));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains($"integrity:   {integrity}: ", guest.Console);

        string status = _lab.Samba.Status();
        if (integrity == "sign")
        {
            // "partial" would mean the server saw signed messages without the session requiring them.
            Assert.Matches(@"AES-\d+-(CMAC|GMAC)", status);
            Assert.DoesNotContain("partial(", status);
        }
        else
        {
            // smbstatus says "partial(...)" when the server does not itself require encryption (the lab's
            // smbd does not); that every message is encrypted is what the capture below checks.
            Assert.Matches(@"AES-\d+-(GCM|CCM)", status);
        }

        Thread.Sleep(1000);
        guest.Type(RootImage.ControlClient + " status");
        guest.WaitFor(integrity == "sign" ? @"integrity:\s+every message of the session is signed \(asked: rd\.cifs\.integrity=sign\)"
            : @"integrity:\s+every message of the share is encrypted \(seal\) \(asked: rd\.cifs\.integrity=seal\)", TimeSpan.FromMinutes(1));
        guest.Type(Write);
        guest.WaitFor("WRITTEN", TimeSpan.FromMinutes(2));
        guest.Type(RootImage.ControlClient + " relinquish --halt");
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(1));
        _lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30));

        var messages = capture.Stop();
        var afterSetup = SmbCapture.AfterSessionSetup(messages);
        Assert.True(afterSetup.Count > 100, $"only {afterSetup.Count} messages after the session setup were captured");
        // With seal the share's tree is encrypted; the session's LOGOFF is encrypted only where the
        // server demands encryption (fs/cifs/smb2pdu.c, SMB2_logoff), so it must at least be signed.
        var unprotected = afterSetup.Where(m => integrity == "sign"
            ? !(m.Kind == SmbCapture.Kind.Smb2 && (m.Signed || m.Interim))
            : !(m.Kind == SmbCapture.Kind.Encrypted || (m.Kind == SmbCapture.Kind.Smb2 && m.Command == SmbCapture.Message.Logoff && m.Signed))).ToList();
        var unanswered = afterSetup.Where(interim => interim.Interim && !afterSetup.Any(m =>
            m.ClientPort == interim.ClientPort && m.FromServer && m.MessageId == interim.MessageId && !m.Interim && m.Signed)).ToList();
        Assert.True(unanswered.Count == 0, $"{unanswered.Count} interim responses have no signed final response, e.g. " + string.Join("; ", unanswered.Take(5)));
        Assert.True(unprotected.Count == 0,
            $"{unprotected.Count} of {afterSetup.Count} messages after the session setup are not {integrity}ed, e.g. " + string.Join("; ", unprotected.Take(5)));
    }
}
