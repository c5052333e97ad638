// Command stackhello is the second reference of `go run ./internal/bench
// version`: a hello-world that links the libraries every wa-hooks command
// must carry (cobra, viper, fatih/color, lipgloss) and uses none of
// wa-hooks. Its start-up over the plain hello-world's is what those
// libraries cost before wa-hooks does anything; wa-hooks' own share is
// what is left above it.
package main

import (
	"fmt"

	"github.com/charmbracelet/lipgloss"
	"github.com/fatih/color"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func main() {
	// One use of each, so the linker keeps what a real command links.
	root := &cobra.Command{Use: "hello", Version: "1.0.0"}
	v := viper.New()
	v.SetEnvPrefix("HELLO")
	_ = color.New(color.Bold)
	_ = lipgloss.NewStyle().Bold(true)
	fmt.Println(root.Use, root.Version, "(commit none)")
}
