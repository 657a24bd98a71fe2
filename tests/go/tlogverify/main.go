// Command tlogverify checks auditkit's standard outputs with Go's golang.org/x/mod/sumdb
// tlog and note packages only (as Debian packages them): no auditkit code.
//
//	tlogverify tiles DIR LOG_VKEY           verify DIR/checkpoint, rebuild the tree hash from
//	                                        the hash tiles, prove every entry-bundle record
//	tlogverify proof FILE ENTRY LOG_VKEY [WITNESS_VKEY...]
//	                                        verify a c2sp.org/tlog-proof of ENTRY's bytes,
//	                                        and count valid Ed25519 (0x04) cosignatures
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// checkpoint opens a signed checkpoint with the log key; returns origin, size, root.
func checkpoint(data []byte, vkey string) (*note.Note, string, int64, tlog.Hash) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("log key: %v", err)
	}
	n, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint has fewer than 3 lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root hash")
	}
	var h tlog.Hash
	copy(h[:], root)
	return n, lines[0], size, h
}

// c2spPath is the tlog-tiles path of a hash tile (no height element, unlike Go's Tile.Path).
func c2spPath(t tlog.Tile) string {
	n := t.N
	parts := []string{fmt.Sprintf("%03d", n%1000)}
	for n /= 1000; n > 0; n /= 1000 {
		parts = append([]string{fmt.Sprintf("x%03d", n%1000)}, parts...)
	}
	p := fmt.Sprintf("tile/%d/%s", t.L, strings.Join(parts, "/"))
	if t.W < 1<<uint(t.H) {
		p += fmt.Sprintf(".p/%d", t.W)
	}
	return p
}

type dirReader struct{ dir string }

func (r dirReader) Height() int { return 8 }
func (r dirReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(r.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}
func (r dirReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func tiles(dir, vkey string) {
	data, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	_, origin, size, root := checkpoint(data, vkey)
	reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, dirReader{dir})
	got, err := tlog.TreeHash(size, reader)
	if err != nil || got != root {
		fail("tree hash from tiles: %v", err)
	}
	proven := int64(0)
	for start := int64(0); start < size; start += 256 {
		width := size - start
		if width > 256 {
			width = 256
		}
		t := tlog.Tile{H: 8, L: 0, N: start / 256, W: int(width)}
		path := filepath.Join(dir, strings.Replace(c2spPath(t), "tile/0/", "tile/entries/", 1))
		bundle, err := os.ReadFile(path)
		if err != nil {
			fail("entry bundle: %v", err)
		}
		for len(bundle) > 0 {
			if len(bundle) < 2 {
				fail("entry bundle %s truncated", path)
			}
			length := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+length {
				fail("entry bundle %s truncated", path)
			}
			entry := bundle[2 : 2+length]
			bundle = bundle[2+length:]
			proof, err := tlog.ProveRecord(size, proven, reader)
			if err != nil {
				fail("prove record %d: %v", proven, err)
			}
			if err := tlog.CheckRecord(proof, size, root, proven, tlog.RecordHash(entry)); err != nil {
				fail("record %d: %v", proven, err)
			}
			proven++
		}
	}
	if proven != size {
		fail("entry bundles hold %d records, the checkpoint %d", proven, size)
	}
	fmt.Printf("ok: %s size %d, tree hash rebuilt from tiles, %d records proven\n", origin, size, proven)
}

func proof(file, entryFile, vkey string, witnesses []string) {
	text, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	entry, err := os.ReadFile(entryFile)
	if err != nil {
		fail("%v", err)
	}
	parts := bytes.SplitN(text, []byte("\n\n"), 2)
	if len(parts) != 2 {
		fail("no empty line before the checkpoint")
	}
	lines := strings.Split(string(parts[0]), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		fail("bad header %q", lines[0])
	}
	lines = lines[1:]
	if strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if !strings.HasPrefix(lines[0], "index ") {
		fail("no index line")
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil {
		fail("index: %v", err)
	}
	var path tlog.RecordProof
	for _, line := range lines[1:] {
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != tlog.HashSize {
			fail("proof hash %q", line)
		}
		var h tlog.Hash
		copy(h[:], raw)
		path = append(path, h)
	}
	n, origin, size, root := checkpoint(parts[1], vkey)
	if err := tlog.CheckRecord(path, size, root, index, tlog.RecordHash(entry)); err != nil {
		fail("inclusion: %v", err)
	}
	cosigned := 0
	for _, w := range witnesses {
		fields := strings.SplitN(w, "+", 3)
		keyID, _ := hex.DecodeString(fields[1])
		key, _ := base64.StdEncoding.DecodeString(fields[2])
		if len(key) != 33 || key[0] != 0x04 {
			fail("witness key %s is not type 0x04", fields[0])
		}
		for _, sig := range n.UnverifiedSigs {
			blob, _ := base64.StdEncoding.DecodeString(sig.Base64)
			if sig.Name != fields[0] || len(blob) != 76 || !bytes.Equal(blob[:4], keyID) {
				continue
			}
			ts := binary.BigEndian.Uint64(blob[4:12])
			msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, n.Text)
			if !ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(msg), blob[12:]) {
				fail("cosignature of %s does not verify", fields[0])
			}
			want := sha256.Sum256(append([]byte(fields[0]+"\n\x04"), key[1:]...))
			if !bytes.Equal(want[:4], keyID) {
				fail("witness key id of %s", fields[0])
			}
			cosigned++
		}
	}
	fmt.Printf("ok: record %d in %s size %d, %d cosignatures\n", index, origin, size, cosigned)
}

func main() {
	if len(os.Args) >= 4 && os.Args[1] == "tiles" {
		tiles(os.Args[2], os.Args[3])
	} else if len(os.Args) >= 5 && os.Args[1] == "proof" {
		proof(os.Args[2], os.Args[3], os.Args[4], os.Args[5:])
	} else {
		fail("usage: tlogverify tiles DIR VKEY | proof FILE ENTRY VKEY [WITNESS...]")
	}
}
