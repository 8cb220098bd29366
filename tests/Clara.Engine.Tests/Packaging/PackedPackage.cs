using System.IO.Compression;
using System.Xml.Linq;

namespace Clara.Engine.Tests.Packaging;

/// <summary>What a .nupkg says about itself: its nuspec's id, metadata and dependencies, and the files it holds.</summary>
internal sealed record PackedPackage(string Id, string Version, IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, string> Dependencies, IReadOnlyList<string> Files, XElement? Repository)
{
    public static PackedPackage Read(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var nuspec = zip.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        XDocument document;
        using (var stream = nuspec.Open()) document = XDocument.Load(stream);
        var metadata = document.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        var values = metadata.Elements().Where(e => !e.HasElements)
            .ToDictionary(e => e.Name.LocalName, e => e.Value, StringComparer.Ordinal);
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!, StringComparer.Ordinal);
        var repository = metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository");
        return new PackedPackage(values["id"], values["version"], values, dependencies,
            zip.Entries.Select(e => e.FullName).ToList(), repository);
    }
}
