package codeblock

import (
	"strings"

	"github.com/zocket/agent"
)

// TypeFor returns the artifact type of code written in language: REACT for
// JavaScript or TypeScript (with or without JSX) that imports React or
// renders JSX, HTML, CSS, JAVASCRIPT, TYPESCRIPT and PYTHON for those
// languages, OTHER for plain text and CODE for every other language.
func TypeFor(language, code string) agent.ArtifactType {
	switch l := CanonicalLanguage(language); l {
	case "tsx", "jsx", "javascript", "typescript":
		if isReact(code) {
			return agent.TypeReact
		}
		if l == "tsx" || l == "typescript" {
			return agent.TypeTypeScript
		}
		return agent.TypeJavaScript
	case "html":
		return agent.TypeHTML
	case "css":
		return agent.TypeCSS
	case "python":
		return agent.TypePython
	case "text":
		return agent.TypeOther
	default:
		return agent.TypeCode
	}
}

// isReact reports whether JavaScript code is a React module: it imports or
// requires react (or react-dom), calls React.createElement, or returns or
// renders JSX.
func isReact(code string) bool {
	return importsReact(code) || strings.Contains(code, "React.createElement(") || rendersJSX(code)
}

// importsReact reports whether code imports or requires a react module.
func importsReact(code string) bool {
	for i := 0; i < len(code); {
		j := strings.Index(code[i:], "react")
		if j < 0 {
			return false
		}
		j += i
		i = j + len("react")
		if j == 0 || (code[j-1] != '\'' && code[j-1] != '"') {
			continue
		}
		if rest := code[i:]; !(strings.HasPrefix(rest, string(code[j-1])) || strings.HasPrefix(rest, "-dom") || strings.HasPrefix(rest, "/")) {
			continue
		}
		before := strings.TrimRight(code[:j-1], " \t\r\n")
		if strings.HasSuffix(before, "from") || strings.HasSuffix(before, "require(") || strings.HasSuffix(before, "import") || strings.HasSuffix(before, "import(") {
			return true
		}
	}
	return false
}

// rendersJSX reports whether code returns or renders a JSX element: the
// keyword return, an arrow or a render( call followed by a tag.
func rendersJSX(code string) bool {
	for _, marker := range [...]string{"return", "=>", "render("} {
		for i := 0; i < len(code); {
			j := strings.Index(code[i:], marker)
			if j < 0 {
				break
			}
			j += i
			i = j + len(marker)
			if marker == "return" && ((j > 0 && isIdentByte(code[j-1])) || (i < len(code) && isIdentByte(code[i]))) {
				continue
			}
			if jsxFollows(code[i:]) {
				return true
			}
		}
	}
	return false
}

// jsxFollows reports whether s starts, after blanks and at most one opening
// parenthesis, with a JSX tag such as <div, <Counter or a fragment <>.
func jsxFollows(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	if strings.HasPrefix(s, "(") {
		s = strings.TrimLeft(s[1:], " \t\r\n")
	}
	if len(s) < 2 || s[0] != '<' {
		return false
	}
	c := s[1]
	return c == '>' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
