namespace SmbRoot.Lab;

/// <summary>
/// A guest program that plays an unprivileged user against SmbRoot's control socket:
/// <c>flood</c> connects and closes as fast as it can (and ignores SIGTERM), and <c>impostor</c> binds the abstract
/// name itself (possible wherever PID 1 does not listen) and answers every request with a lie.
/// </summary>
public static class ControlSocketTool
{
    public const string GuestPath = "/bin/control-socket-tool";

    private const string Source = """
        #include <stddef.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <signal.h>
        #include <unistd.h>
        static socklen_t address(struct sockaddr_un *a) {
            static const char name[] = "smbroot/control";
            memset(a, 0, sizeof *a);
            a->sun_family = AF_UNIX;
            memcpy(a->sun_path + 1, name, sizeof name - 1);
            return offsetof(struct sockaddr_un, sun_path) + 1 + sizeof name - 1;
        }
        int main(int argc, char **argv) {
            struct sockaddr_un a;
            socklen_t length = address(&a);
            if (argc > 1 && !strcmp(argv[1], "flood")) {
                signal(SIGTERM, SIG_IGN); /* only SIGKILL, or the end of the namespace, stops it */
                for (;;) {
                    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                    connect(fd, (struct sockaddr *)&a, length);
                    close(fd);
                }
            }
            if (argc > 1 && !strcmp(argv[1], "impostor")) {
                int server = socket(AF_UNIX, SOCK_SEQPACKET, 0);
                if (bind(server, (struct sockaddr *)&a, length) < 0 || listen(server, 8) < 0) { perror("impostor: bind"); return 1; }
                printf("LAB: impostor listening\n");
                fflush(stdout);
                for (;;) {
                    char request[256];
                    int client = accept(server, NULL, NULL);
                    if (client < 0) continue;
                    recv(client, request, sizeof request, 0);
                    const char lie[] = "mode:        guard (all is well, says the impostor)\n";
                    send(client, lie, sizeof lie - 1, 0);
                    close(client);
                }
            }
            fprintf(stderr, "usage: control-socket-tool flood|impostor\n");
            return 2;
        }
        """;

    public static string Build(string directory) => StaticProgram.Build(directory, "control-socket-tool", Source);
}
