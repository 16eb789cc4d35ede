"""GLSL of the 3D view, written once and given the header of the context's dialect.

The bodies use ``ATTR``/``VARY``/``FRAG_COLOR``/``TEX`` so that one source
serves GLSL 3.30 core (desktop GL 3.3+), GLSL ES 3.00 (GLES 3), and the
legacy dialects GLSL 1.20 (desktop GL 2.1) and GLSL ES 1.00 (GLES 2).

>>> glsl_version("4.50"), glsl_version("OpenGL ES GLSL ES 3.20"), glsl_version("1.20 NVIDIA")
((4, 50), (3, 20), (1, 20))
>>> print(header(False, glsl_version("1.20"), "fragment").splitlines()[0])
#version 120
>>> print(header(True, glsl_version("OpenGL ES GLSL ES 3.00"), "vertex").splitlines()[0])
#version 300 es
"""

from __future__ import annotations

import re

__all__ = [
    "LINE_FRAGMENT", "LINE_VERTEX", "POINT_FRAGMENT", "POINT_VERTEX", "glsl_version", "header",
]


def glsl_version(text: str) -> tuple[int, int]:
    """(major, minor) of a ``GL_SHADING_LANGUAGE_VERSION`` string; (1, 0) if unreadable."""
    found = re.search(r"(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else (1, 0)


def header(gles: bool, version: tuple[int, int], stage: str) -> str:
    """The ``#version`` line and dialect macros for a GLSL ``version`` and a stage."""
    modern = version >= ((3, 0) if gles else (3, 30))
    if gles:
        lines = ["#version 300 es" if modern else "#version 100",
                 "precision highp float;"]
    else:
        lines = ["#version 330 core" if modern else "#version 120"]
    if modern:
        lines += ["#define ATTR in", "#define TEX texture"]
        if stage == "vertex":
            lines.append("#define VARY out")
        else:
            lines += ["#define VARY in", "out vec4 fragColour;", "#define FRAG_COLOR fragColour"]
    else:
        lines += ["#define ATTR attribute", "#define VARY varying", "#define TEX texture2D",
                  "#define FRAG_COLOR gl_FragColor"]
    return "\n".join(lines) + "\n"


#: Points.  u_mode: 0 height (from z), 1 ramp row u_row from a_value, 2 a_rgb.
POINT_VERTEX = """
ATTR vec3 a_pos;
ATTR float a_value;
ATTR vec3 a_rgb;
uniform mat4 u_mvp;
uniform int u_mode;
uniform float u_row;
uniform vec2 u_zrange;
uniform float u_size;
VARY vec2 v_ramp;
VARY vec3 v_rgb;
VARY float v_use_rgb;
void main() {
    gl_Position = u_mvp * vec4(a_pos, 1.0);
    gl_PointSize = u_size;
    float s = a_value;
    if (u_mode == 0) {
        s = clamp((a_pos.z - u_zrange.x) / max(u_zrange.y - u_zrange.x, 1e-6), 0.0, 1.0);
    }
    v_ramp = vec2((s * 255.0 + 0.5) / 256.0, u_row);
    v_rgb = a_rgb;
    v_use_rgb = u_mode == 2 ? 1.0 : 0.0;
}
"""

POINT_FRAGMENT = """
uniform sampler2D u_ramps;
VARY vec2 v_ramp;
VARY vec3 v_rgb;
VARY float v_use_rgb;
void main() {
    vec3 ramp = TEX(u_ramps, v_ramp).rgb;
    FRAG_COLOR = vec4(mix(ramp, v_rgb, v_use_rgb), 1.0);
}
"""

#: Lines as quads: each vertex knows its edge (a, b), which end and side it is
#: (a_corner), and is pushed sideways by half the width in pixels.  An edge
#: that crosses the near plane is cut there first, so that the division by w
#: never sees a point behind the eye.  z is set to the middle of the depth
#: range: lines are drawn over the points, never clipped by near or far.
LINE_VERTEX = """
ATTR vec3 a_a;
ATTR vec3 a_b;
ATTR vec2 a_corner;
ATTR vec4 a_colour;
ATTR float a_width;
uniform mat4 u_mvp;
uniform vec2 u_viewport;
uniform float u_near;
VARY vec4 v_colour;
void main() {
    vec4 ca = u_mvp * vec4(a_a, 1.0);
    vec4 cb = u_mvp * vec4(a_b, 1.0);
    v_colour = a_colour;
    if (ca.w < u_near && cb.w < u_near) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    if (ca.w < u_near) {
        ca = mix(ca, cb, (u_near - ca.w) / (cb.w - ca.w));
    } else if (cb.w < u_near) {
        cb = mix(cb, ca, (u_near - cb.w) / (ca.w - cb.w));
    }
    vec2 half_view = u_viewport * 0.5;
    vec2 sa = ca.xy / ca.w * half_view;
    vec2 sb = cb.xy / cb.w * half_view;
    vec2 d = sb - sa;
    float len = length(d);
    vec2 dir = len > 1e-6 ? d / len : vec2(1.0, 0.0);
    vec2 normal = vec2(-dir.y, dir.x);
    vec4 c = a_corner.x < 0.5 ? ca : cb;
    float along = a_corner.x < 0.5 ? -1.0 : 1.0;
    vec2 offset = (normal * a_corner.y + dir * along) * a_width * 0.5;
    gl_Position = vec4(c.xy + offset / half_view * c.w, 0.0, c.w);
}
"""

LINE_FRAGMENT = """
VARY vec4 v_colour;
void main() {
    FRAG_COLOR = v_colour;
}
"""
