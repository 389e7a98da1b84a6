using System.Text.Json;
using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;

namespace SmbRoot.Admin;

/// <summary>
/// <c>status DIR</c>: every pointer and image in the share, each read-write image's holder and
/// whether it is live, judged by watching its record on this machine's clock.
/// </summary>
public static class StatusCommand
{
    public static int Run(ShareDirectory share, TimeSpan? watchFor, bool json, TextWriter output)
    {
        var (pointers, images) = ShareInventory.Build(share.Files(), share.ReadHead);
        var records = images.Where(i => i.HasHolderRecord).Select(i => i.HolderPath).ToList();
        var watcher = new RecordWatcher(share, HolderLiveness.Policy(TimeSpan.FromSeconds(FencingPolicy.DefaultMarginSeconds)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var watched = watcher.Watch(records, firsts => watchFor ?? firsts.Select(HolderLiveness.WatchFor).DefaultIfEmpty(TimeSpan.Zero).Max());
        var watchedFor = clock.Elapsed;
        var holders = watched.ToDictionary(w => w.Key, w => HolderLiveness.Describe(w.Value.First, w.Value.Decision));
        if (json) WriteJson(pointers, images, holders, watchedFor, output);
        else WriteTable(pointers, images, holders, watchedFor, output);
        return 0;
    }

    private static void WriteTable(IReadOnlyList<PointerEntry> pointers, IReadOnlyList<ImageEntry> images, IReadOnlyDictionary<string, HolderStatus> holders,
        TimeSpan watchedFor, TextWriter output)
    {
        output.WriteLine("pointers:");
        if (pointers.Count == 0) output.WriteLine("  none");
        foreach (var p in pointers) output.WriteLine($"  {p.Path} -> {p.Target ?? "?"}" + (p.Problem is null ? "" : $"  ({p.Problem})"));
        output.WriteLine("images:");
        if (images.Count == 0) output.WriteLine("  none");
        int width = images.Select(i => i.Path.Length).DefaultIfEmpty(4).Max();
        foreach (var image in images)
        {
            string kind = image.Kind switch
            {
                "golden" => $"golden, named by {string.Join(", ", image.NamedBy)}",
                "unused" => "unused: no pointer names it, no machine has held it read-write",
                var other => other,
            };
            output.WriteLine($"  {image.Path.PadRight(width)}  {Size(image.Size),7}  {image.FileSystem ?? "unknown",-8}  {kind}");
            if (holders.GetValueOrDefault(image.HolderPath) is { } holder) output.WriteLine($"  {new string(' ', width)}  holder: {holder.Holder}: {holder.Detail}");
        }
        output.WriteLine(holders.Count == 0 ? "no holder records to watch"
            : $"watched the holder records for {watchedFor.TotalSeconds:0.0} s on this machine's clock; the server's write times are not used");
    }

    private static void WriteJson(IReadOnlyList<PointerEntry> pointers, IReadOnlyList<ImageEntry> images, IReadOnlyDictionary<string, HolderStatus> holders,
        TimeSpan watchedFor, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("pointers");
            foreach (var p in pointers)
            {
                json.WriteStartObject();
                json.WriteString("path", p.Path);
                json.WriteString("target", p.Target);
                json.WriteString("problem", p.Problem);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("images");
            foreach (var image in images)
            {
                json.WriteStartObject();
                json.WriteString("path", image.Path);
                json.WriteNumber("size", image.Size);
                json.WriteString("filesystem", image.FileSystem);
                json.WriteString("kind", image.Kind);
                json.WriteStartArray("namedBy");
                foreach (var name in image.NamedBy) json.WriteStringValue(name);
                json.WriteEndArray();
                if (holders.GetValueOrDefault(image.HolderPath) is { } holder)
                {
                    json.WriteStartObject("holder");
                    json.WriteString("holder", holder.Holder);
                    json.WriteBoolean("live", holder.Live);
                    json.WriteBoolean("free", holder.Free);
                    json.WriteString("detail", holder.Detail);
                    json.WriteEndObject();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("watchedSeconds", Math.Round(watchedFor.TotalSeconds, 1));
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static string Size(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#}G" : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#}M" : $"{bytes / 1024.0:0.#}K";
}
