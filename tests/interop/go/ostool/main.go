// ostool: drives nats.go's legacy object store API (Debian's nats.go 1.22.1) for natss3 interop tests.
//
// Usage: ostool <command> [flags]; the server is -s or $NATS_URL. Results are JSON on stdout
// (one document, or one line per event for watch); errors go to stderr with exit code 1.
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ",") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func (h headerFlags) toHeader() nats.Header {
	if len(h) == 0 {
		return nil
	}
	out := nats.Header{}
	for _, kv := range h {
		k, v, _ := strings.Cut(kv, ":")
		out[k] = append(out[k], v)
	}
	return out
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "ostool: %v\n", err)
	os.Exit(1)
}

func printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}

func connect(server string) (*nats.Conn, nats.JetStreamContext) {
	if server == "" {
		server = os.Getenv("NATS_URL")
	}
	if server == "" {
		server = nats.DefaultURL
	}
	nc, err := nats.Connect(server, nats.Name("natss3-interop-go"), nats.Timeout(5*time.Second))
	if err != nil {
		fail(err)
	}
	js, err := nc.JetStream(nats.MaxWait(10 * time.Second))
	if err != nil {
		fail(err)
	}
	return nc, js
}

func openStore(js nats.JetStreamContext, bucket string) nats.ObjectStore {
	obs, err := js.ObjectStore(bucket)
	if err != nil {
		fail(fmt.Errorf("open bucket %q: %w", bucket, err))
	}
	return obs
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ostool <create|put|get|info|ls|delete|link|bucket-link|update-meta|watch|seal|status|raw|del-bucket|buckets> [flags]")
		os.Exit(2)
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	server := fs.String("s", "", "server URL (default $NATS_URL)")
	bucket := fs.String("bucket", "", "bucket")
	name := fs.String("name", "", "object name")
	file := fs.String("file", "", "input file (put)")
	out := fs.String("out", "", "output file (get)")
	desc := fs.String("description", "", "description")
	chunk := fs.Uint("chunk-size", 0, "chunk size (put)")
	ttl := fs.Duration("ttl", 0, "bucket TTL")
	maxBytes := fs.Int64("max-bytes", 0, "bucket max bytes")
	storage := fs.String("storage", "file", "file|memory")
	replicas := fs.Int("replicas", 1, "replicas")
	newName := fs.String("new-name", "", "new name (update-meta)")
	targetBucket := fs.String("target-bucket", "", "link target bucket")
	target := fs.String("target", "", "link target object")
	deleted := fs.Bool("deleted", false, "show deleted (info, ls)")
	subject := fs.String("subject", "", "raw: stream subject (default: the meta subject of -name)")
	count := fs.Int("n", 1, "watch: events to print (the end-of-initial marker counts)")
	history := fs.Bool("history", false, "watch: include history")
	ignoreDeletes := fs.Bool("ignore-deletes", false, "watch: ignore deletes")
	timeout := fs.Duration("timeout", 30*time.Second, "watch: give up after")
	var headers headerFlags
	fs.Var(&headers, "header", "K:V (repeatable)")
	_ = fs.Parse(os.Args[2:])

	nc, js := connect(*server)
	defer nc.Close()

	switch cmd {
	case "create":
		st := nats.FileStorage
		if *storage == "memory" {
			st = nats.MemoryStorage
		}
		_, err := js.CreateObjectStore(&nats.ObjectStoreConfig{Bucket: *bucket, Description: *desc,
			TTL: *ttl, MaxBytes: *maxBytes, Storage: st, Replicas: *replicas})
		if err != nil {
			fail(err)
		}
		printStatus(openStore(js, *bucket))
	case "put":
		obs := openStore(js, *bucket)
		meta := &nats.ObjectMeta{Name: *name, Description: *desc, Headers: headers.toHeader()}
		if *chunk > 0 {
			meta.Opts = &nats.ObjectMetaOptions{ChunkSize: uint32(*chunk)}
		}
		f, err := os.Open(*file)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		info, err := obs.Put(meta, f)
		if err != nil {
			fail(err)
		}
		printJSON(info)
	case "get":
		obs := openStore(js, *bucket)
		res, err := obs.Get(*name)
		if err != nil {
			fail(err)
		}
		var w io.Writer = io.Discard
		if *out != "" {
			f, err := os.Create(*out)
			if err != nil {
				fail(err)
			}
			defer f.Close()
			w = f
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), res)
		if err != nil {
			fail(err)
		}
		info, _ := res.Info()
		res.Close()
		printJSON(map[string]any{"sha256": hex.EncodeToString(h.Sum(nil)), "size": n, "info": info})
	case "info":
		obs := openStore(js, *bucket)
		var opts []nats.GetObjectInfoOpt
		if *deleted {
			opts = append(opts, nats.GetObjectInfoShowDeleted())
		}
		info, err := obs.GetInfo(*name, opts...)
		if err != nil {
			fail(err)
		}
		printJSON(info)
	case "ls":
		obs := openStore(js, *bucket)
		var opts []nats.ListObjectsOpt
		if *deleted {
			opts = append(opts, nats.ListObjectsShowDeleted())
		}
		list, err := obs.List(opts...)
		if errors.Is(err, nats.ErrNoObjectsFound) {
			list = []*nats.ObjectInfo{}
		} else if err != nil {
			fail(err)
		}
		printJSON(list)
	case "delete":
		if err := openStore(js, *bucket).Delete(*name); err != nil {
			fail(err)
		}
		printJSON(map[string]any{"deleted": *name})
	case "link":
		tb := *targetBucket
		if tb == "" {
			tb = *bucket
		}
		tinfo, err := openStore(js, tb).GetInfo(*target)
		if err != nil {
			fail(err)
		}
		info, err := openStore(js, *bucket).AddLink(*name, tinfo)
		if err != nil {
			fail(err)
		}
		printJSON(info)
	case "bucket-link":
		info, err := openStore(js, *bucket).AddBucketLink(*name, openStore(js, *targetBucket))
		if err != nil {
			fail(err)
		}
		printJSON(info)
	case "update-meta":
		nn := *newName
		if nn == "" {
			nn = *name
		}
		meta := &nats.ObjectMeta{Name: nn, Description: *desc, Headers: headers.toHeader()}
		if err := openStore(js, *bucket).UpdateMeta(*name, meta); err != nil {
			fail(err)
		}
		printJSON(map[string]any{"updated": nn})
	case "watch":
		watch(openStore(js, *bucket), *count, *history, *ignoreDeletes, *timeout)
	case "seal":
		obs := openStore(js, *bucket)
		if err := obs.Seal(); err != nil {
			fail(err)
		}
		printStatus(obs)
	case "status":
		printStatus(openStore(js, *bucket))
	case "raw":
		subj := *subject
		if subj == "" {
			subj = fmt.Sprintf("$O.%s.M.%s", *bucket, base64.URLEncoding.EncodeToString([]byte(*name)))
		}
		m, err := js.GetLastMsg("OBJ_"+*bucket, subj)
		if err != nil {
			fail(err)
		}
		printJSON(map[string]any{"subject": m.Subject, "seq": m.Sequence, "headers": m.Header,
			"data": string(m.Data), "time": m.Time})
	case "del-bucket":
		if err := js.DeleteObjectStore(*bucket); err != nil {
			fail(err)
		}
		printJSON(map[string]any{"deleted": *bucket})
	case "buckets":
		names := []string{}
		// nats.go 1.22.1 yields stream names ("OBJ_<bucket>"); report bucket names.
		for n := range js.ObjectStoreNames() {
			names = append(names, strings.TrimPrefix(n, "OBJ_"))
		}
		printJSON(names)
	default:
		fail(fmt.Errorf("unknown command %q", cmd))
	}
}

func printStatus(obs nats.ObjectStore) {
	st, err := obs.Status()
	if err != nil {
		fail(err)
	}
	bs := st.(*nats.ObjectBucketStatus)
	printJSON(map[string]any{"bucket": st.Bucket(), "description": st.Description(),
		"ttl": int64(st.TTL()), "storage": st.Storage().String(), "replicas": st.Replicas(),
		"sealed": st.Sealed(), "size": st.Size(), "backing_store": st.BackingStore(),
		"stream_info": bs.StreamInfo()})
}

// watch prints each ObjectInfo as one JSON line and the end-of-initial marker as "null",
// exiting after n lines.
func watch(obs nats.ObjectStore, n int, history, ignoreDeletes bool, timeout time.Duration) {
	var opts []nats.WatchOpt
	if history {
		opts = append(opts, nats.IncludeHistory())
	}
	if ignoreDeletes {
		opts = append(opts, nats.IgnoreDeletes())
	}
	w, err := obs.Watch(opts...)
	if err != nil {
		fail(err)
	}
	defer w.Stop()
	deadline := time.After(timeout)
	for i := 0; i < n; i++ {
		select {
		case info := <-w.Updates():
			if info == nil {
				fmt.Println("null")
				continue
			}
			printJSON(info)
		case <-deadline:
			fail(fmt.Errorf("watch: timed out after %d of %d events", i, n))
		}
	}
}
