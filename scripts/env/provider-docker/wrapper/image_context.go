package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ignorePatterns are the build's exclusions: "<Dockerfile>.dockerignore"
// if it exists, else the context's ".dockerignore", as the Docker CLI reads
// them.
func ignorePatterns(contextDir, dockerfile string) ([]string, error) {
	for _, p := range []string{dockerfile + ".dockerignore", filepath.Join(contextDir, ".dockerignore")} {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		return patterns, nil
	}
	return nil, nil
}

// hashContext digests what a build sends: the Dockerfile and every file of
// the context the ignore file lets through, each by its path, mode and
// content (a symlink by its target). Timestamps, owners and the checkout's
// location are left out, so a fresh checkout of the same files has the same
// digest.
func hashContext(contextDir, dockerfile string) (string, error) {
	patterns, err := ignorePatterns(contextDir, dockerfile)
	if err != nil {
		return "", err
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		return "", fmt.Errorf("ignore patterns of %s: %w", contextDir, err)
	}
	sum := sha256.New()
	if err := hashEntry(sum, "Dockerfile", dockerfile, 0); err != nil {
		return "", err
	}
	var paths []string
	err = filepath.WalkDir(contextDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contextDir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, err := matcher.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if excluded {
			if d.IsDir() && !matcher.Exclusions() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			paths = append(paths, rel)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading the build context %s: %w", contextDir, err)
	}
	sort.Strings(paths)
	for _, rel := range paths {
		info, err := os.Lstat(filepath.Join(contextDir, rel))
		if err != nil {
			return "", err
		}
		if err := hashEntry(sum, rel, filepath.Join(contextDir, rel), info.Mode()); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

func hashEntry(sum io.Writer, name, path string, mode fs.FileMode) error {
	content := sha256.New()
	if mode&fs.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		io.WriteString(content, target)
	} else if mode.IsRegular() || mode == 0 {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		defer f.Close()
		if _, err := io.Copy(content, f); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
	}
	fmt.Fprintf(sum, "%s\x00%s\x00%x\x00", name, mode.String(), content.Sum(nil))
	return nil
}
