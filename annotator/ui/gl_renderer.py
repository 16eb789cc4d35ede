"""The GL side of the 3D view: buffers, shaders and the three draw calls of a frame.

Points are drawn into an off-screen framebuffer of our own that keeps what
earlier frames drew: a still camera adds the next slice of the shuffled
points to it frame after frame, and a change of the cuboids or the selection
redraws only the lines over it.  Each frame copies that image to the widget
(one textured quad) and draws the cuboid lines on top.

Everything goes through Qt's wrappers (QOpenGLFunctions, QOpenGLBuffer,
QOpenGLShaderProgram, QOpenGLTexture, QOpenGLFramebufferObject), which cover
GL 2.1, 3.3 core and GLES 2/3; nothing here needs PyOpenGL.  Must be used
with the widget's context current.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QSize, Slot
from PySide6.QtGui import QImage, QOffscreenSurface, QOpenGLContext, QOpenGLFunctions
from PySide6.QtOpenGL import (
    QOpenGLBuffer,
    QOpenGLFramebufferObject,
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
    QOpenGLVertexArrayObject,
)

from annotator.ui import gl_shaders
from annotator.ui.gl_cloud import Arranged, ramps
from annotator.ui.gl_cuboids import FLOATS_PER_VERTEX

__all__ = [
    "CloudRenderer", "GlError", "GlOutOfMemory", "PointStyle", "RendererJanitor", "context_info",
]

GL_POINTS, GL_TRIANGLES, GL_TRIANGLE_STRIP = 0x0000, 0x0004, 0x0005
GL_COLOR_BUFFER_BIT, GL_DEPTH_BUFFER_BIT = 0x4000, 0x0100
GL_DEPTH_TEST, GL_LESS, GL_BLEND = 0x0B71, 0x0201, 0x0BE2
GL_FLOAT, GL_UNSIGNED_BYTE = 0x1406, 0x1401
GL_TEXTURE_2D, GL_TEXTURE0, GL_FRAMEBUFFER = 0x0DE1, 0x84C0, 0x8D40
GL_PROGRAM_POINT_SIZE = 0x8642
GL_NO_ERROR, GL_OUT_OF_MEMORY = 0x0000, 0x0505
GL_VENDOR, GL_RENDERER, GL_VERSION, GL_SHADING_LANGUAGE_VERSION = (
    0x1F00, 0x1F01, 0x1F02, 0x8B8C)
#: Background: dark grey, so that dim points and coloured lines both show.
BACKGROUND = (0.11, 0.12, 0.13)

_QUAD_VERTEX = """
ATTR vec2 a_pos;
VARY vec2 v_uv;
void main() {
    v_uv = a_pos * 0.5 + 0.5;
    gl_Position = vec4(a_pos, 0.0, 1.0);
}
"""
_QUAD_FRAGMENT = """
uniform sampler2D u_image;
VARY vec2 v_uv;
void main() {
    FRAG_COLOR = vec4(TEX(u_image, v_uv).rgb, 1.0);
}
"""


def context_info(context: QOpenGLContext) -> dict[str, str]:
    """Vendor, renderer, version and GLSL version strings of a current context."""
    gl = context.functions()
    return {name: str(gl.glGetString(code)) for name, code in (
        ("vendor", GL_VENDOR), ("renderer", GL_RENDERER), ("version", GL_VERSION),
        ("glsl", GL_SHADING_LANGUAGE_VERSION))}


class GlError(Exception):
    """The context cannot run the view (shaders refused, no memory): one line for the user."""


class GlOutOfMemory(GlError):
    """The GPU cannot hold the points asked for; a smaller sample may fit."""


@dataclass(frozen=True)
class PointStyle:
    """How points are coloured and sized in a frame."""

    mode: str                        # "height" | "intensity" | "rgb" | "class"
    size: float                      # device pixels
    z_range: tuple[float, float]


@dataclass
class _CloudBuffers:
    count: int
    xyz: QOpenGLBuffer
    extra: dict[str, QOpenGLBuffer] = field(default_factory=dict)


def _buffer(size: int) -> QOpenGLBuffer:
    buf = QOpenGLBuffer(QOpenGLBuffer.Type.VertexBuffer)
    buf.create()
    buf.setUsagePattern(QOpenGLBuffer.UsagePattern.StaticDraw)
    buf.bind()
    buf.allocate(size)
    return buf


def _write(buf: QOpenGLBuffer, offset: int, data: npt.NDArray[Any]) -> None:
    """Copy a contiguous array into the bound buffer at byte ``offset``."""
    # The stub types the pointer as int; the binding takes any buffer object.
    buf.write(offset, data, data.nbytes)  # type: ignore[arg-type]


class CloudRenderer:
    """GL resources of one context and the draw calls of a frame."""

    def __init__(self, context: QOpenGLContext) -> None:
        self.gl: QOpenGLFunctions = context.functions()
        self.gl.initializeOpenGLFunctions()
        self.info = context_info(context)
        self.gles = context.isOpenGLES() or self.info["version"].startswith("OpenGL ES")
        # The driver's own word: context.format() can echo the requested 3.3
        # where the driver made something else.
        self.version = gl_shaders.glsl_version(self.info["glsl"])
        self.vao = QOpenGLVertexArrayObject()
        # A core profile draws nothing without a bound VAO; GL 2.1 may lack them.
        self.vao.create()
        self.points_program = self._program(gl_shaders.POINT_VERTEX, gl_shaders.POINT_FRAGMENT,
                                            ("a_pos", "a_value", "a_rgb"))
        self.lines_program = self._program(
            gl_shaders.LINE_VERTEX, gl_shaders.LINE_FRAGMENT,
            ("a_a", "a_b", "a_corner", "a_colour", "a_width"))
        self.quad_program = self._program(_QUAD_VERTEX, _QUAD_FRAGMENT, ("a_pos",))
        table = np.ascontiguousarray(ramps())
        image = QImage(table.tobytes(), 256, 3, 256 * 4, QImage.Format.Format_RGBA8888)
        self.ramps = QOpenGLTexture(image.copy(),
                                    QOpenGLTexture.MipMapGeneration.DontGenerateMipMaps)
        self.ramps.setMinMagFilters(QOpenGLTexture.Filter.Nearest, QOpenGLTexture.Filter.Nearest)
        self.ramps.setWrapMode(QOpenGLTexture.WrapMode.ClampToEdge)
        quad = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype=np.float32)
        self.quad = _buffer(quad.nbytes)
        _write(self.quad, 0, quad)
        self.quad.release()
        self.lines: QOpenGLBuffer | None = None
        self.line_vertices = 0
        self.cloud: _CloudBuffers | None = None
        self.fbo: QOpenGLFramebufferObject | None = None

    def _program(self, vertex: str, fragment: str, attributes: tuple[str, ...]
                 ) -> QOpenGLShaderProgram:
        program = QOpenGLShaderProgram()
        for stage, kind, body in (("vertex", QOpenGLShader.ShaderTypeBit.Vertex, vertex),
                                  ("fragment", QOpenGLShader.ShaderTypeBit.Fragment, fragment)):
            source = gl_shaders.header(self.gles, self.version, stage) + body
            if not program.addShaderFromSourceCode(kind, source):
                raise GlError(f"the {stage} shader does not compile on "
                              f"{self.info['renderer']} ({self.info['version']}): "
                              f"{program.log().strip().splitlines()[:1]}")
        for location, name in enumerate(attributes):
            program.bindAttributeLocation(name, location)
        if not program.link():
            raise GlError(f"the shaders do not link on {self.info['renderer']}: "
                          f"{program.log().strip().splitlines()[:1]}")
        return program

    # -- uploads ------------------------------------------------------------------------

    def upload_cloud(self, arranged: Arranged | None) -> int:
        """Put the arranged points and their colour scalars on the GPU; returns the count.

        Raises :class:`GlOutOfMemory` (nothing kept) when the GPU cannot hold them.
        """
        self.release_cloud()
        if arranged is None or arranged.count == 0:
            return 0
        self._clear_errors()
        buffers = _CloudBuffers(arranged.count, _buffer(arranged.xyz.nbytes))
        for name, data in (("intensity", arranged.intensity), ("classes", arranged.classes),
                           ("rgb", arranged.rgb)):
            if data is not None:
                buffers.extra[name] = _buffer(data.nbytes)
        if self.gl.glGetError() == GL_OUT_OF_MEMORY:
            self._destroy(buffers)
            raise GlOutOfMemory(f"the GPU has no room for {arranged.count:,} points")
        parts: list[tuple[QOpenGLBuffer | None, npt.NDArray[Any] | None]] = [
            (buffers.xyz, arranged.xyz),
            (buffers.extra.get("intensity"), arranged.intensity),
            (buffers.extra.get("classes"), arranged.classes),
            (buffers.extra.get("rgb"), arranged.rgb)]
        for target, data in parts:
            if target is None or data is None:
                continue
            target.bind()
            flat = data.reshape(-1)
            step = 1 << 22
            for offset in range(0, len(flat), step):
                _write(target, offset * data.itemsize, flat[offset:offset + step])
        self.cloud = buffers
        QOpenGLBuffer.release(QOpenGLBuffer.Type.VertexBuffer)
        return arranged.count

    def upload_lines(self, vertices: npt.NDArray[np.float32]) -> None:
        if self.lines is not None:
            self.lines.destroy()
            self.lines = None
        self.line_vertices = len(vertices)
        if self.line_vertices:
            data = np.ascontiguousarray(vertices, dtype=np.float32)
            self.lines = _buffer(data.nbytes)
            _write(self.lines, 0, data)
            self.lines.release()

    # -- a frame ------------------------------------------------------------------------

    def begin_points(self, width: int, height: int, clear: bool) -> bool:
        """Bind the accumulation framebuffer (made or resized as needed); returns
        True when it was (re)made, which clears it."""
        made = False
        if self.fbo is None or self.fbo.size() != QSize(width, height):
            if self.fbo is not None:
                del self.fbo
            self.fbo = QOpenGLFramebufferObject(
                QSize(width, height), QOpenGLFramebufferObject.Attachment.Depth)
            made = True
        self.fbo.bind()
        self.gl.glViewport(0, 0, width, height)
        if clear or made:
            self.gl.glClearColor(*BACKGROUND, 1.0)
            self.gl.glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT)
        return made

    def draw_points(self, ranges: list[tuple[int, int]], mvp: npt.NDArray[np.float64],
                    style: PointStyle) -> None:
        """Draw the buffer ``ranges`` (first, count) into the bound framebuffer."""
        if self.cloud is None or not ranges:
            return
        gl, program = self.gl, self.points_program
        self._bind_vao()
        gl.glEnable(GL_DEPTH_TEST)
        gl.glDepthFunc(GL_LESS)
        if not self.gles:
            gl.glEnable(GL_PROGRAM_POINT_SIZE)
        program.bind()
        self._matrix(program, "u_mvp", mvp)
        modes = {"height": (0, 0.0), "intensity": (1, 1.5), "class": (1, 2.5), "rgb": (2, 0.0)}
        mode, row = modes[style.mode]
        buffer_for = {"intensity": "intensity", "class": "classes", "rgb": "rgb"}
        source = self.cloud.extra.get(buffer_for.get(style.mode, ""))
        if source is None:
            mode, row = 0, 0.0
        gl.glUniform1i(program.uniformLocation("u_mode"), mode)
        gl.glUniform1f(program.uniformLocation("u_row"), row / 3.0)
        gl.glUniform2f(program.uniformLocation("u_zrange"), *style.z_range)
        gl.glUniform1f(program.uniformLocation("u_size"), style.size)
        gl.glActiveTexture(GL_TEXTURE0)
        self.ramps.bind(0)
        gl.glUniform1i(program.uniformLocation("u_ramps"), 0)
        self.cloud.xyz.bind()
        program.enableAttributeArray(0)
        program.setAttributeBuffer(0, GL_FLOAT, 0, 3, 12)
        for location, wanted in ((1, mode == 1), (2, mode == 2)):
            if wanted and source is not None:
                source.bind()
                program.enableAttributeArray(location)
                program.setAttributeBuffer(location, GL_UNSIGNED_BYTE, 0, 1 if location == 1
                                           else 3, 0)
            else:
                program.disableAttributeArray(location)
                # (QOpenGLShaderProgram.setAttributeValue(int, float) crashes
                # under PySide 6.11: it reaches a pointer overload.)
                if location == 1:
                    gl.glVertexAttrib1f(location, 0.0)
                else:
                    gl.glVertexAttrib3f(location, 0.0, 0.0, 0.0)
        for first, count in ranges:
            gl.glDrawArrays(GL_POINTS, first, count)
        for location in (0, 1, 2):
            program.disableAttributeArray(location)
        program.release()
        QOpenGLBuffer.release(QOpenGLBuffer.Type.VertexBuffer)

    def composite(self, target_fbo: int, width: int, height: int) -> None:
        """Copy the accumulated points to the widget's framebuffer."""
        if self.fbo is None:
            return
        gl, program = self.gl, self.quad_program
        gl.glBindFramebuffer(GL_FRAMEBUFFER, target_fbo)
        gl.glViewport(0, 0, width, height)
        gl.glDisable(GL_DEPTH_TEST)
        gl.glDisable(GL_BLEND)
        self._bind_vao()
        program.bind()
        gl.glActiveTexture(GL_TEXTURE0)
        gl.glBindTexture(GL_TEXTURE_2D, self.fbo.texture())
        gl.glUniform1i(program.uniformLocation("u_image"), 0)
        self.quad.bind()
        program.enableAttributeArray(0)
        program.setAttributeBuffer(0, GL_FLOAT, 0, 2, 8)
        gl.glDrawArrays(GL_TRIANGLE_STRIP, 0, 4)
        program.disableAttributeArray(0)
        program.release()
        self.quad.release()

    def draw_lines(self, mvp: npt.NDArray[np.float64], near: float, width: int,
                   height: int) -> None:
        """The cuboid edges, over everything (no depth test), in the bound framebuffer."""
        if self.lines is None or not self.line_vertices:
            return
        gl, program = self.gl, self.lines_program
        self._bind_vao()
        gl.glDisable(GL_DEPTH_TEST)
        program.bind()
        self._matrix(program, "u_mvp", mvp)
        gl.glUniform2f(program.uniformLocation("u_viewport"), float(width), float(height))
        gl.glUniform1f(program.uniformLocation("u_near"), float(near) * 1.001)
        self.lines.bind()
        stride = FLOATS_PER_VERTEX * 4
        for location, (offset, size) in enumerate(((0, 3), (3, 3), (6, 2), (8, 4), (12, 1))):
            program.enableAttributeArray(location)
            program.setAttributeBuffer(location, GL_FLOAT, offset * 4, size, stride)
        gl.glDrawArrays(GL_TRIANGLES, 0, self.line_vertices)
        for location in range(5):
            program.disableAttributeArray(location)
        program.release()
        self.lines.release()

    def finish(self) -> None:
        """Wait for the GPU: frame times then measure drawing, not queueing."""
        self.gl.glFinish()

    # -- housekeeping -------------------------------------------------------------------

    def _bind_vao(self) -> None:
        if self.vao.isCreated():
            self.vao.bind()

    def _matrix(self, program: QOpenGLShaderProgram, name: str,
                matrix: npt.NDArray[np.float64]) -> None:
        # column-major, as GL (and GLES, which refuses transpose) wants it
        values = np.asarray(matrix, dtype=np.float32).T.ravel().tolist()
        self.gl.glUniformMatrix4fv(program.uniformLocation(name), 1, 0, values)

    def _clear_errors(self) -> None:
        for _ in range(16):
            if self.gl.glGetError() == GL_NO_ERROR:
                return

    @staticmethod
    def _destroy(buffers: _CloudBuffers) -> None:
        buffers.xyz.destroy()
        for buf in buffers.extra.values():
            buf.destroy()

    def release_cloud(self) -> None:
        if self.cloud is not None:
            self._destroy(self.cloud)
            self.cloud = None

    def release(self) -> None:
        """Free everything; the context must be current."""
        self.release_cloud()
        if self.lines is not None:
            self.lines.destroy()
        self.quad.destroy()
        self.ramps.destroy()
        self.fbo = None
        self.vao.destroy()
        for program in (self.points_program, self.lines_program, self.quad_program):
            program.removeAllShaders()


class RendererJanitor(QObject):
    """Frees a renderer's GL objects when its context goes (``aboutToBeDestroyed``).

    It makes the context current on an off-screen surface of its own: while a
    QOpenGLWidget is being deleted its own surface can no longer be made
    current, and Python's handles on the widget and on the context may already
    be dead, so the slot finds the context through ``sender()``.  Then it calls
    ``released(self, renderer)``.
    """

    def __init__(self, context: QOpenGLContext, renderer: CloudRenderer | None,
                 released: Callable[[RendererJanitor, CloudRenderer | None], None]) -> None:
        super().__init__()
        self._surface = QOffscreenSurface()
        self._surface.setFormat(context.format())
        self._surface.create()
        self._renderer = renderer
        self._released = released
        context.aboutToBeDestroyed.connect(self.release)

    @Slot()
    def release(self) -> None:
        renderer, self._renderer = self._renderer, None
        context = self.sender()
        try:
            if renderer is not None and isinstance(context, QOpenGLContext) \
                    and context.makeCurrent(self._surface):
                renderer.release()
                context.doneCurrent()
            self._surface.destroy()
        except RuntimeError:
            pass  # interpreter shutdown took the surface first; the process is ending
        self._released(self, renderer)
