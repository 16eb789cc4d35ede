<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>AnnotationPanel</name>
    <message>
        <location filename="../panels.py" line="124" />
        <source>Shapes of this item</source>
        <translation>このアイテムの図形</translation>
    </message>
    <message>
        <location filename="../panels.py" line="140" />
        <source>(hidden)</source>
        <translation>（非表示）</translation>
    </message>
    <message>
        <location filename="../panels.py" line="141" />
        <source>(locked)</source>
        <translation>（ロック）</translation>
    </message>
    <message>
        <location filename="../panels.py" line="143" />
        <source>new</source>
        <translation>新規</translation>
    </message>
</context>
<context>
    <name>AssistController</name>
    <message>
        <location filename="../assists.py" line="86" />
        <source>Assist progress</source>
        <extracomment>The assist that edge snapping calls per clicked vertex. indices of the proposals the user clicked away</extracomment>
        <translation>アシストの進行状況</translation>
    </message>
    <message>
        <location filename="../assists.py" line="110" />
        <source>&amp;Assists</source>
        <translation>アシスト(&amp;A)</translation>
    </message>
    <message>
        <location filename="../assists.py" line="114" />
        <source>Run assist</source>
        <translation>アシストを実行</translation>
    </message>
    <message>
        <location filename="../assists.py" line="116" />
        <source>Next assist</source>
        <translation>次のアシスト</translation>
    </message>
    <message>
        <location filename="../assists.py" line="118" />
        <source>Accept proposals</source>
        <translation>提案を採用</translation>
    </message>
    <message>
        <location filename="../assists.py" line="121" />
        <source>Reject proposals / cancel the assist</source>
        <translation>提案を却下 / アシストを取り消す</translation>
    </message>
    <message>
        <location filename="../assists.py" line="123" />
        <source>Settings of the current assist…</source>
        <translation>現在のアシストの設定…</translation>
    </message>
    <message>
        <location filename="../assists.py" line="126" />
        <source>Snap polygon vertices to image edges</source>
        <translation>ポリゴンの頂点を画像のエッジに吸着</translation>
    </message>
    <message>
        <location filename="../assists.py" line="134" />
        <source>Install the edge_snap plugin to snap vertices to edges</source>
        <translation>頂点をエッジに吸着させるには edge_snap プラグインをインストールしてください</translation>
    </message>
    <message>
        <location filename="../assists.py" line="148" />
        <source>%s cannot be used: %s</source>
        <translation>%s は使えません: %s</translation>
    </message>
    <message>
        <location filename="../assists.py" line="150" />
        <source>images</source>
        <translation>画像</translation>
    </message>
    <message>
        <location filename="../assists.py" line="151" />
        <source>point-cloud tiles</source>
        <translation>点群タイル</translation>
    </message>
    <message>
        <location filename="../assists.py" line="152" />
        <source>%s (on %s)</source>
        <translation>%s（%s 用）</translation>
    </message>
    <message>
        <location filename="../assists.py" line="157" />
        <source>No assists installed (see plugins/README.md)</source>
        <translation>アシストがインストールされていません（plugins/README.md を参照）</translation>
    </message>
    <message>
        <location filename="../assists.py" line="189" />
        <source>Assist: %s (I runs it)</source>
        <translation>アシスト: %s（I で実行）</translation>
    </message>
    <message>
        <location filename="../assists.py" line="195" />
        <location filename="../assists.py" line="205" />
        <location filename="../assists.py" line="234" />
        <source>No assist for this item is installed</source>
        <translation>このアイテムに使えるアシストがインストールされていません</translation>
    </message>
    <message>
        <location filename="../assists.py" line="223" />
        <source>An assist is running (Esc cancels)</source>
        <translation>アシストを実行中です（Esc で取り消し）</translation>
    </message>
    <message>
        <location filename="../assists.py" line="230" />
        <source>Enter accepts the proposals, Esc rejects them</source>
        <translation>Enter で提案を採用、Esc で却下します</translation>
    </message>
    <message>
        <location filename="../assists.py" line="254" />
        <source>%s: drag a box round the object, then press I</source>
        <translation>%s: 対象を囲むように矩形をドラッグしてから I を押してください</translation>
    </message>
    <message>
        <location filename="../assists.py" line="256" />
        <source>%s: click the object (Shift+click: background), then press I</source>
        <translation>%s: 対象をクリック（Shift+クリック: 背景）してから I を押してください</translation>
    </message>
    <message>
        <location filename="../assists.py" line="274" />
        <source>%s: select shapes, then press I</source>
        <translation>%s: 図形を選択してから I を押してください</translation>
    </message>
    <message>
        <location filename="../assists.py" line="283" />
        <source>The tile is still loading; try again when it shows</source>
        <translation>タイルを読み込み中です。表示されてからもう一度お試しください</translation>
    </message>
    <message>
        <location filename="../assists.py" line="297" />
        <source>The next image is still downloading; try again in a moment</source>
        <translation>次の画像はまだダウンロード中です。少し待ってからもう一度お試しください</translation>
    </message>
    <message>
        <location filename="../assists.py" line="316" />
        <source>%s is running… (Esc cancels)</source>
        <translation>%s を実行中…（Esc で取り消し）</translation>
    </message>
    <message>
        <location filename="../assists.py" line="328" />
        <location filename="../assists.py" line="368" />
        <source>%s was cancelled</source>
        <translation>%s を取り消しました</translation>
    </message>
    <message>
        <location filename="../assists.py" line="346" />
        <source>%s proposed nothing here</source>
        <translation>%s はここに何も提案しませんでした</translation>
    </message>
    <message>
        <location filename="../assists.py" line="354" />
        <source>%d proposal(s) for the next item: Enter accepts, Esc rejects</source>
        <translation>次のアイテムへの提案 %d 件: Enter で採用、Esc で却下</translation>
    </message>
    <message>
        <location filename="../assists.py" line="356" />
        <source>%d proposal(s): Enter accepts, Esc rejects</source>
        <translation>提案 %d 件: Enter で採用、Esc で却下</translation>
    </message>
    <message>
        <location filename="../assists.py" line="362" />
        <source>Assist failed: %s</source>
        <translation>アシストが失敗しました: %s</translation>
    </message>
    <message>
        <location filename="../assists.py" line="384" />
        <source>%d of %d proposal(s) kept: Enter accepts them, Esc rejects all</source>
        <translation>提案 %d / %d 件を残しています: Enter で採用、Esc ですべて却下</translation>
    </message>
    <message>
        <location filename="../assists.py" line="442" />
        <source>Accepted %d proposal(s)</source>
        <translation>提案 %d 件を採用しました</translation>
    </message>
    <message>
        <location filename="../assists.py" line="447" />
        <source>Proposals rejected</source>
        <translation>提案を却下しました</translation>
    </message>
    <message>
        <location filename="../assists.py" line="470" />
        <source>Edge snapping on: polygon and polyline vertices move to strong edges near the click</source>
        <translation>エッジ吸着オン: ポリゴンとポリラインの頂点がクリック位置近くの強いエッジに移動します</translation>
    </message>
    <message>
        <location filename="../assists.py" line="472" />
        <source>Edge snapping off</source>
        <translation>エッジ吸着オフ</translation>
    </message>
    <message>
        <location filename="../assists.py" line="496" />
        <source>Edge snapping: still reading the image</source>
        <translation>エッジ吸着: 画像を読み込み中です</translation>
    </message>
</context>
<context>
    <name>AssistSettingsDialog</name>
    <message>
        <location filename="../assist_settings.py" line="132" />
        <source>Settings of %s</source>
        <extracomment>A settings row: its widget, a getter and a setter of its value.</extracomment>
        <translation>%s の設定</translation>
    </message>
    <message>
        <location filename="../assist_settings.py" line="141" />
        <source>This assist has no settings.</source>
        <translation>このアシストに設定はありません。</translation>
    </message>
    <message>
        <location filename="../assist_settings.py" line="168" />
        <source>Browse…</source>
        <translation>参照…</translation>
    </message>
</context>
<context>
    <name>AssistTool</name>
    <message>
        <location filename="../assist_drafts.py" line="244" />
        <source>Drag a box round the object, then press I</source>
        <extracomment>The prompt's colour (Okabe-Ito sky blue); background clicks are vermilion.</extracomment>
        <translation>対象を囲むように矩形をドラッグしてから I を押してください</translation>
    </message>
    <message>
        <location filename="../assist_drafts.py" line="248" />
        <source>Press I to run the assist on this box</source>
        <translation>I を押すとこの矩形でアシストを実行します</translation>
    </message>
</context>
<context>
    <name>AttributeEditor</name>
    <message>
        <location filename="../panels.py" line="181" />
        <location filename="../panels.py" line="207" />
        <source>Select one shape to edit its attributes</source>
        <translation>属性を編集する図形を1つ選択してください</translation>
    </message>
    <message>
        <location filename="../panels.py" line="219" />
        <source>%s #%d</source>
        <translation>%s #%d</translation>
    </message>
    <message>
        <location filename="../panels.py" line="221" />
        <source>This class has no attributes</source>
        <translation>このクラスに属性はありません</translation>
    </message>
    <message>
        <location filename="../panels.py" line="225" />
        <source>Required</source>
        <translation>必須</translation>
    </message>
</context>
<context>
    <name>CanvasView</name>
    <message>
        <location filename="../canvas.py" line="539" />
        <location filename="../canvas.py" line="562" />
        <source>Image canvas</source>
        <extracomment>Colours of the changes a reviewer sees (Okabe-Ito green and blue). "added" or "changed" since the batch's previous submission (shown to reviewers) What lies under the shapes when there is no image (the bird's-eye raster).</extracomment>
        <translation>画像キャンバス</translation>
    </message>
    <message>
        <location filename="../canvas.py" line="562" />
        <source>Bird's-eye view</source>
        <extracomment>Zoom limits and the zoom-to-shape cap, in screen pixels per scene unit (an image pixel; a metre in the bird's-eye view, see :meth:`use_metres`).</extracomment>
        <translation>俯瞰ビュー</translation>
    </message>
</context>
<context>
    <name>CloudPanel</name>
    <message>
        <location filename="../cloud_workspace.py" line="142" />
        <source>Height</source>
        <extracomment>Tiles kept in memory after they were read (the open one and its neighbour).</extracomment>
        <translation>高さ</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="142" />
        <source>Intensity</source>
        <translation>反射強度</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="143" />
        <source>RGB</source>
        <translation>RGB</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="143" />
        <source>Class</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="145" />
        <source>Colour points by</source>
        <translation>点の色分け</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="151" />
        <source>Point size</source>
        <translation>点のサイズ</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="152" />
        <source>Colour</source>
        <translation>色</translation>
    </message>
    <message>
        <location filename="../cloud_workspace.py" line="154" />
        <source>Size</source>
        <translation>サイズ</translation>
    </message>
</context>
<context>
    <name>ConflictDialog</name>
    <message>
        <location filename="../conflicts.py" line="134" />
        <source>Edits that met someone else's change</source>
        <translation>他の人の変更と重なった編集</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="139" />
        <source>Nothing was written over another person's work. Where both versions are shown, keep theirs or use yours.</source>
        <translation>他の人の作業は上書きされていません。両方の版が表示されている場合は、相手の版を残すか自分の版を使うかを選んでください。</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="153" />
        <source>Keep theirs</source>
        <translation>相手の版を残す</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="168" />
        <source>Yours</source>
        <translation>自分の版</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="169" />
        <source>On the server</source>
        <translation>サーバー上の版</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="178" />
        <source>Both outlines: yours dashed orange, the server's solid blue</source>
        <translation>両方の輪郭: 自分の版はオレンジの破線、サーバーの版は青の実線</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="184" />
        <source>Use mine</source>
        <translation>自分の版を使う</translation>
    </message>
    <message>
        <location filename="../conflicts.py" line="194" />
        <source>Applied</source>
        <translation>適用しました</translation>
    </message>
</context>
<context>
    <name>Dashboard</name>
    <message>
        <location filename="../dashboard.py" line="124" />
        <location filename="../dashboard.py" line="474" />
        <source>Lead dashboard</source>
        <translation>リーダー用ダッシュボード</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="131" />
        <source>Progress</source>
        <translation>進捗</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="132" />
        <source>People</source>
        <translation>メンバー</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="133" />
        <source>Quality</source>
        <translation>品質</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="134" />
        <source>Batches</source>
        <translation>バッチ</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="135" />
        <location filename="../dashboard.py" line="273" />
        <source>Export</source>
        <translation>エクスポート</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="137" />
        <source>Refresh</source>
        <translation>更新</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="151" />
        <source>open</source>
        <translation>未着手</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="152" />
        <source>in progress</source>
        <translation>作業中</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="153" />
        <source>submitted</source>
        <translation>提出済み</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="154" />
        <source>accepted</source>
        <translation>承認済み</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="155" />
        <source>rejected</source>
        <translation>差し戻し</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="167" />
        <location filename="../dashboard.py" line="228" />
        <source>Batch</source>
        <translation>バッチ</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="167" />
        <location filename="../dashboard.py" line="228" />
        <source>State</source>
        <translation>状態</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="167" />
        <location filename="../dashboard.py" line="228" />
        <source>Assignee</source>
        <translation>担当者</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="168" />
        <source>Items done</source>
        <translation>完了アイテム</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="170" />
        <source>Items by batch state (solid: done)</source>
        <translation>バッチ状態別のアイテム数（濃い部分: 完了）</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="179" />
        <source>Person</source>
        <translation>担当者</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="179" />
        <location filename="../dashboard.py" line="229" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="179" />
        <source>Shapes</source>
        <translation>図形</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="168" />
        <location filename="../dashboard.py" line="179" />
        <source>Active hours</source>
        <translation>作業時間 (h)</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="180" />
        <source>Items/h</source>
        <translation>アイテム/時</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="180" />
        <source>Shapes/h</source>
        <translation>図形/時</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="180" />
        <source>First-pass acceptance</source>
        <translation>初回承認率</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="184" />
        <source>Shapes per active hour</source>
        <translation>作業 1 時間あたりの図形数</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="193" />
        <source>Rejection reasons</source>
        <translation>差し戻しの理由</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="195" />
        <source>Shapes per class</source>
        <translation>クラス別の図形数</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="201" />
        <source>Create batches from unbatched items</source>
        <translation>バッチ未割り当てのアイテムからバッチを作成</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="205" />
        <source>By size</source>
        <translation>件数ごと</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="206" />
        <source>By folder</source>
        <translation>フォルダーごと</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="207" />
        <source>Random sample</source>
        <translation>ランダム抽出</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="216" />
        <source>Create</source>
        <translation>作成</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="221" />
        <source>Name</source>
        <translation>名前</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="222" />
        <source>Cut</source>
        <translation>分け方</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="223" />
        <source>Items per batch</source>
        <translation>1 バッチのアイテム数</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="224" />
        <source>Sample size</source>
        <translation>抽出数</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="225" />
        <source>Seed</source>
        <translation>シード</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="229" />
        <location filename="../dashboard.py" line="244" />
        <source>Reviewer</source>
        <translation>レビュアー</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="231" />
        <source>Selected batch</source>
        <translation>選択中のバッチ</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="236" />
        <source>Assign</source>
        <translation>割り当て</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="239" />
        <source>Why it is reopened</source>
        <translation>再開の理由</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="240" />
        <source>Reopen</source>
        <translation>再開</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="243" />
        <source>Annotator</source>
        <translation>アノテーター</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="246" />
        <source>Comment</source>
        <translation>コメント</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="264" />
        <source>Accepted batches only</source>
        <translation>承認済みバッチのみ</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="267" />
        <source>A new or empty folder</source>
        <translation>新しいフォルダーか空のフォルダー</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="268" />
        <source>Choose…</source>
        <translation>選択…</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="275" />
        <source>Cancel export</source>
        <translation>書き出しを取り消す</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="286" />
        <source>An export writes into a hidden folder and renames it at the end: a cancelled or failed one leaves nothing half-written.</source>
        <translation>書き出しは隠しフォルダーに書き込み、最後に名前を変えます。取り消しや失敗の場合も書きかけのものは残りません。</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="290" />
        <source>Format</source>
        <translation>形式</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="292" />
        <source>Output folder</source>
        <translation>出力フォルダー</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="318" />
        <source>%d batch(es), %d of %d item(s) done</source>
        <translation>%d バッチ、%d / %d アイテム完了</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="324" />
        <source>Batches by state: %s</source>
        <translation>状態別のバッチ数: %s</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="350" />
        <source>(no name)</source>
        <translation>（名前なし）</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="360" />
        <source>No active time recorded yet</source>
        <translation>作業時間はまだ記録されていません</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="366" />
        <source>(no comment)</source>
        <translation>（コメントなし）</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="370" />
        <source>No batch has been rejected</source>
        <translation>差し戻されたバッチはありません</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="374" />
        <source>No classes in the schema</source>
        <translation>スキーマにクラスがありません</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="402" />
        <source>%d item(s) in no batch</source>
        <translation>バッチ未割り当てのアイテム: %d 件</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="483" />
        <source>Export into</source>
        <translation>エクスポート先</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="491" />
        <source>Choose an output folder first</source>
        <translation>先に出力フォルダーを選んでください</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="504" />
        <source>Exporting %s to %s…</source>
        <translation>%s 形式で %s にエクスポート中…</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="510" />
        <source>Wrote %d annotation(s) on %d item(s) to %s</source>
        <translation>%d 件のアノテーション（%d アイテム）を %s に書き出しました</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="513" />
        <source>%d skipped (see report.json)</source>
        <translation>%d 件を省略（report.json を参照）</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="515" />
        <source>%d validation error(s) (see validation.html)</source>
        <translation>検証エラー %d 件（validation.html を参照）</translation>
    </message>
    <message>
        <location filename="../dashboard.py" line="529" />
        <source>Export failed: %s</source>
        <translation>エクスポートに失敗しました: %s</translation>
    </message>
</context>
<context>
    <name>Editor</name>
    <message>
        <location filename="../editor.py" line="163" />
        <source>Large image without overviews: shown at 1:1; press F to fit</source>
        <extracomment>Height in metres of a cuboid drawn where there are no points to fit. A point-cloud item was opened: its tile is wanted (the workspace loads it). The bird's-eye scene of the open point-cloud tile, once it is loaded. heights, snapping and lanelets of map features on point-cloud tiles Moves a clicked polygon/polyline vertex on an image (edge snapping), when set.</extracomment>
        <translation>縮小版のない大きな画像のため 1:1 で表示しています。F キーで全体表示</translation>
    </message>
    <message>
        <location filename="../editor.py" line="239" />
        <source>Class %s does not allow %s; pick another class</source>
        <translation>クラス %s では %s を使えません。別のクラスを選んでください</translation>
    </message>
    <message>
        <location filename="../editor.py" line="246" />
        <source>Nothing drawn yet to repeat</source>
        <translation>繰り返す描画がまだありません</translation>
    </message>
    <message>
        <location filename="../editor.py" line="348" />
        <source>On a point-cloud tile, draw cuboids (U), map lines (L), areas (P) and points (T) in the bird's-eye view</source>
        <translation>点群タイルでは俯瞰ビューで直方体 (U)・地図の線 (L)・領域 (P)・点 (T) を描きます</translation>
    </message>
    <message>
        <location filename="../editor.py" line="352" />
        <location filename="../editor.py" line="498" />
        <source>Class %s does not allow %s shapes</source>
        <translation>クラス %s では %s の図形を使えません</translation>
    </message>
    <message>
        <location filename="../editor.py" line="378" />
        <source>Cuboids are drawn in the bird's-eye view of a point-cloud tile</source>
        <translation>直方体は点群タイルの俯瞰ビューで描きます</translation>
    </message>
    <message>
        <location filename="../editor.py" line="381" />
        <source>Drag round an object, or click two corners and a side</source>
        <translation>物体を囲むようにドラッグするか、2つの角と1辺をクリックしてください</translation>
    </message>
    <message>
        <location filename="../editor.py" line="389" />
        <source>No points there: draw the cuboid round an object</source>
        <translation>そこには点がありません: 物体を囲むように直方体を描いてください</translation>
    </message>
    <message>
        <location filename="../editor.py" line="394" />
        <source>No points above the ground there: the cuboid stands on the ground, %.1f m high</source>
        <translation>地面より上に点がありません: 直方体を地面の上に高さ %.1f m で置きました</translation>
    </message>
    <message>
        <location filename="../editor.py" line="467" />
        <source>Copied %d shape(s)</source>
        <translation>%d 個の図形をコピーしました</translation>
    </message>
    <message>
        <location filename="../editor.py" line="536" />
        <source>The previous item has no shapes to copy</source>
        <translation>前のアイテムにコピーする図形がありません</translation>
    </message>
    <message>
        <location filename="../tools.py" line="140" />
        <source>Too few points: a %s needs %d</source>
        <extracomment>The tools speak through the editor's status line, so their texts are filed under its translation context ("Editor"); ``self.editor.tr(...)`` would hide them from lupdate.</extracomment>
        <translation>点が足りません: %s には %d 点必要です</translation>
    </message>
    <message>
        <location filename="../tools.py" line="285" />
        <source>Drag to draw a box</source>
        <translation>ドラッグして矩形を描いてください</translation>
    </message>
    <message>
        <location filename="../tools.py" line="438" />
        <source>Click a lane boundary (a 3D line): the left one first, then the right</source>
        <translation>車線の境界 (3D の線) をクリック: まず左、次に右</translation>
    </message>
    <message>
        <location filename="../tools.py" line="445" />
        <source>Left boundary picked; now click the right one (Esc: start again)</source>
        <translation>左の境界を選びました。次に右の境界をクリック (Esc: やり直し)</translation>
    </message>
</context>
<context>
    <name>HistoryDialog</name>
    <message>
        <location filename="../history.py" line="57" />
        <source>History of batch %s</source>
        <translation>バッチ %s の履歴</translation>
    </message>
    <message>
        <location filename="../history.py" line="60" />
        <source>When</source>
        <translation>日時</translation>
    </message>
    <message>
        <location filename="../history.py" line="60" />
        <source>Who</source>
        <translation>誰が</translation>
    </message>
    <message>
        <location filename="../history.py" line="60" />
        <source>What</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../history.py" line="61" />
        <source>Detail</source>
        <translation>詳細</translation>
    </message>
</context>
<context>
    <name>ItemListModel</name>
    <message>
        <location filename="../panels.py" line="392" />
        <source>done</source>
        <extracomment>How the item list shows an item's mark (the accessible description says it in words).</extracomment>
        <translation>完了</translation>
    </message>
    <message>
        <location filename="../panels.py" line="392" />
        <source>verified empty</source>
        <translation>対象なし確認済み</translation>
    </message>
</context>
<context>
    <name>ItemPanel</name>
    <message>
        <location filename="../panels.py" line="489" />
        <source>Batch filter</source>
        <translation>バッチで絞り込み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="491" />
        <source>Batch state filter</source>
        <translation>バッチの状態で絞り込み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="492" />
        <source>All states</source>
        <translation>すべての状態</translation>
    </message>
    <message>
        <location filename="../panels.py" line="494" />
        <source>Open</source>
        <translation>未着手</translation>
    </message>
    <message>
        <location filename="../panels.py" line="494" />
        <source>In progress</source>
        <translation>作業中</translation>
    </message>
    <message>
        <location filename="../panels.py" line="495" />
        <source>Submitted</source>
        <translation>提出済み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="495" />
        <source>Accepted</source>
        <translation>承認</translation>
    </message>
    <message>
        <location filename="../panels.py" line="496" />
        <source>Rejected</source>
        <translation>差し戻し</translation>
    </message>
    <message>
        <location filename="../panels.py" line="503" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../panels.py" line="525" />
        <source>All items</source>
        <translation>すべてのアイテム</translation>
    </message>
    <message>
        <location filename="../panels.py" line="526" />
        <source>My batch</source>
        <translation>自分のバッチ</translation>
    </message>
    <message>
        <location filename="../panels.py" line="526" />
        <source>To review</source>
        <translation>レビュー待ち</translation>
    </message>
</context>
<context>
    <name>LabelPanel</name>
    <message>
        <location filename="../panels.py" line="69" />
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../panels.py" line="76" />
        <source>Allows: %s</source>
        <translation>使える図形: %s</translation>
    </message>
    <message>
        <location filename="../panels.py" line="112" />
        <source>Class %s locked</source>
        <translation>クラス %s をロックしました</translation>
    </message>
    <message>
        <location filename="../panels.py" line="113" />
        <source>Class %s unlocked</source>
        <translation>クラス %s のロックを解除しました</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="74" />
        <source>Select and edit</source>
        <translation>選択・編集</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="75" />
        <source>Box</source>
        <translation>矩形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="76" />
        <source>Rotated box</source>
        <translation>回転矩形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="77" />
        <source>Polygon</source>
        <translation>多角形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="78" />
        <source>Polyline</source>
        <translation>折れ線</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="79" />
        <source>Point</source>
        <translation>点</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="80" />
        <source>Cuboid (point clouds)</source>
        <translation>直方体（点群）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="81" />
        <source>Lanelet (point clouds)</source>
        <translation>レーンレット (点群)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="130" />
        <source>Annotator — %s (%s)</source>
        <translation>Annotator — %s（%s）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="151" />
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="152" />
        <source>Shapes</source>
        <translation>図形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="153" />
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="154" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="156" />
        <source>Problems</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="159" />
        <source>Review comments</source>
        <translation>レビューコメント</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="168" />
        <source>Zoom</source>
        <translation>ズーム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="169" />
        <source>Cursor position</source>
        <translation>カーソル位置</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="170" />
        <source>Item position</source>
        <translation>アイテムの位置</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="171" />
        <source>Batch state</source>
        <translation>バッチの状態</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="191" />
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="192" />
        <source>Quit</source>
        <translation>終了</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="194" />
        <source>&amp;Edit</source>
        <translation>編集(&amp;E)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="195" />
        <location filename="../main_window.py" line="754" />
        <source>Undo</source>
        <translation>元に戻す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="197" />
        <location filename="../main_window.py" line="755" />
        <source>Redo</source>
        <translation>やり直す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="200" />
        <source>Delete</source>
        <translation>削除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="201" />
        <source>Copy</source>
        <translation>コピー</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="202" />
        <source>Paste</source>
        <translation>貼り付け</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="203" />
        <source>Duplicate</source>
        <translation>複製</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="204" />
        <source>Copy shapes from previous item</source>
        <translation>前のアイテムから図形をコピー</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="206" />
        <source>Select all</source>
        <translation>すべて選択</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="209" />
        <source>Hide or show selected</source>
        <translation>選択した図形の表示／非表示</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="211" />
        <source>Show all shapes</source>
        <translation>すべての図形を表示</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="213" />
        <source>Lock or unlock selected</source>
        <translation>選択した図形のロック／解除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="215" />
        <source>Lock or unlock current class</source>
        <translation>現在のクラスのロック／解除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="217" />
        <source>Bring to front</source>
        <translation>最前面へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="219" />
        <source>Send to back</source>
        <translation>最背面へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="221" />
        <source>Turn counter-clockwise 1°</source>
        <translation>反時計回りに 1° 回転</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="223" />
        <source>Turn clockwise 1°</source>
        <translation>時計回りに 1° 回転</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="225" />
        <source>Turn counter-clockwise 10°</source>
        <translation>反時計回りに 10° 回転</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="227" />
        <source>Turn clockwise 10°</source>
        <translation>時計回りに 10° 回転</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="231" />
        <source>Nudge</source>
        <translation>少し移動</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="233" />
        <source>Nudge 10 pixels</source>
        <translation>10ピクセル移動</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="239" />
        <source>Raise 1 cm</source>
        <translation>1 cm 上げる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="240" />
        <source>Lower 1 cm</source>
        <translation>1 cm 下げる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="241" />
        <source>Raise 10 cm</source>
        <translation>10 cm 上げる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="242" />
        <source>Lower 10 cm</source>
        <translation>10 cm 下げる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="246" />
        <source>Keep heights when moving vertices</source>
        <translation>頂点を動かしても高さを保つ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="250" />
        <source>Link sign to stop line / lanelet</source>
        <translation>標識を停止線・レーンレットに結び付ける</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="253" />
        <source>&amp;Tools</source>
        <translation>ツール(&amp;T)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="256" />
        <source>Tools</source>
        <translation>ツール</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="267" />
        <source>Repeat last tool and class</source>
        <translation>直前のツールとクラスを繰り返す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="269" />
        <source>Give selection the current class</source>
        <translation>選択した図形を現在のクラスに変更</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="275" />
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="276" />
        <source>Fit to window</source>
        <translation>ウィンドウに合わせる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="277" />
        <source>Actual size (1:1)</source>
        <translation>実寸（1:1）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="279" />
        <source>Zoom in</source>
        <translation>拡大</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="281" />
        <source>Zoom out</source>
        <translation>縮小</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="283" />
        <source>Zoom to selection</source>
        <translation>選択範囲にズーム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="286" />
        <source>Interface size</source>
        <translation>画面の文字サイズ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="290" />
        <source>Line width…</source>
        <translation>線の太さ…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="291" />
        <source>Line width (pixels)</source>
        <translation>線の太さ（ピクセル）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="293" />
        <source>Vertex size…</source>
        <translation>頂点の大きさ…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="294" />
        <source>Vertex size (pixels)</source>
        <translation>頂点の大きさ（ピクセル）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="296" />
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="302" />
        <source>&amp;Item</source>
        <translation>アイテム(&amp;I)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="303" />
        <source>Next item</source>
        <translation>次のアイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="305" />
        <source>Previous item</source>
        <translation>前のアイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="307" />
        <source>Next item that needs work</source>
        <translation>次の未作業アイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="310" />
        <source>Mark item done, go to the next not done</source>
        <translation>アイテムを完了にして次の未完了へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="313" />
        <source>Mark item verified empty, go to the next not done</source>
        <translation>アイテムを「対象なし確認済み」にして次の未完了へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="315" />
        <source>Clear the item's mark</source>
        <translation>アイテムの印を消す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="317" />
        <source>&amp;Batch</source>
        <translation>バッチ(&amp;B)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="319" />
        <source>Start this batch</source>
        <translation>このバッチの作業を開始</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="321" />
        <source>Submit this batch for review</source>
        <translation>このバッチをレビューに提出</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="323" />
        <source>Accept this batch</source>
        <translation>このバッチを承認</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="326" />
        <source>Reject this batch (with a summary)…</source>
        <translation>このバッチを差し戻す（要約付き）…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="328" />
        <source>Reopen this batch…</source>
        <translation>このバッチを再開…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="332" />
        <source>Next problem</source>
        <translation>次の問題</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="334" />
        <source>Previous problem</source>
        <translation>前の問題</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="337" />
        <source>Pin a review comment</source>
        <translation>レビューコメントをピン留め</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="339" />
        <source>History of this batch…</source>
        <translation>このバッチの履歴…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="341" />
        <source>Lead dashboard…</source>
        <translation>リーダー用ダッシュボード…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="345" />
        <source>Correct mode (reviewers: edit the batch under review)</source>
        <translation>修正モード（レビュアー: レビュー中のバッチを編集）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="361" />
        <source>Reading the point cloud was cancelled</source>
        <translation>点群の読み込みを取り消しました</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="387" />
        <source>Zoom %d %%</source>
        <translation>ズーム %d %%</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="420" />
        <source>Downloading %s…</source>
        <translation>%s をダウンロード中…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="469" />
        <source>Every item of batch %s is marked: submit it with Ctrl+Return</source>
        <translation>バッチ %s のすべてのアイテムに印が付きました: Ctrl+Return で提出</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="481" />
        <source>Correct mode: your edits to this batch are recorded as yours</source>
        <translation>修正モード: このバッチへの編集はあなたの編集として記録されます</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="482" />
        <source>Review is read-only again</source>
        <translation>レビューは再び読み取り専用です</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="487" />
        <source>The dashboard is a lead's</source>
        <translation>ダッシュボードはリーダー用です</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="524" />
        <source>No more items in this list</source>
        <translation>この一覧にはこれ以上アイテムがありません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="533" />
        <source>Every item in this list has shapes</source>
        <translation>この一覧のアイテムはすべて図形があります</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="562" />
        <source>Reading %s … (Esc cancels)</source>
        <translation>%s を読み込み中…（Esc で取り消し）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="567" />
        <source>Reading %s: %d %% (Esc cancels)</source>
        <translation>%s を読み込み中: %d %%（Esc で取り消し）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="583" />
        <source>%s: %d points</source>
        <translation>%s: %d 点</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="629" />
        <source>No problems</source>
        <translation>問題はありません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="497" />
        <location filename="../main_window.py" line="646" />
        <source>This item is in no batch</source>
        <translation>このアイテムはどのバッチにも入っていません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="236" />
        <source>Map features</source>
        <translation>地図要素</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="651" />
        <source>Reject batch %s</source>
        <translation>バッチ %s を差し戻す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="652" />
        <source>Reopen batch %s</source>
        <translation>バッチ %s を再開</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="654" />
        <source>What should the annotator know? (kept in the history)</source>
        <translation>アノテーターへの伝達事項（履歴に残ります）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="658" />
        <source>A rejection needs a summary for the annotator</source>
        <translation>差し戻しにはアノテーター向けの要約が必要です</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="662" />
        <source>Accept batch?</source>
        <translation>バッチを承認しますか？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="663" />
        <source>Accept batch %s? Its work then counts as delivered.</source>
        <translation>バッチ %s を承認しますか？ 作業は納品済みとして扱われます。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="678" />
        <source>Batch %s has %d error(s); fix them before submitting (F8 goes to the next one)</source>
        <translation>バッチ %s にエラーが %d 件あります。提出の前に直してください（F8 で次のエラーへ）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="683" />
        <source>Submit with warnings?</source>
        <translation>警告があるまま提出しますか？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="684" />
        <source>Batch %s: validation reports %d warning(s). Submit anyway?</source>
        <translation>バッチ %s: 警告が %d 件あります。このまま提出しますか？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="693" />
        <source>Batch %s is now %s</source>
        <translation>バッチ %s は %s になりました</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="726" />
        <source>Read-only here: %s</source>
        <translation>ここは読み取り専用です: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="742" />
        <source>Item %d / %d</source>
        <translation>アイテム %d / %d</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="744" />
        <source>Batch %s: %s</source>
        <translation>バッチ %s: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="745" />
        <source>No batch</source>
        <translation>バッチなし</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="748" />
        <source>done</source>
        <translation>完了</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="748" />
        <source>verified empty</source>
        <translation>対象なし確認済み</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="754" />
        <source>Undo %s</source>
        <translation>元に戻す: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="755" />
        <source>Redo %s</source>
        <translation>やり直す: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="767" />
        <source>This image cannot be shown:
%s

Press D for the next item.</source>
        <translation>この画像は表示できません:
%s

D キーで次のアイテムへ進めます。</translation>
    </message>
</context>
<context>
    <name>MapEditing</name>
    <message>
        <location filename="../map_editing.py" line="172" />
        <source>Moved vertices keep their heights</source>
        <extracomment>Metres one PageUp/PageDown moves a height (Shift: ten times). Screen pixels the snap radius is at least. Metres between tile origins within which a tile's features snap as neighbours. Metres beyond a tile's points within which a neighbour's feature may be snapped to. The 3D kind a 2D drawing tool makes on a point-cloud tile.</extracomment>
        <translation>動かした頂点は高さを保ちます</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="173" />
        <source>Moved vertices take the ground's height</source>
        <translation>動かした頂点は地面の高さになります</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="209" />
        <source>Select a map feature, or one of its vertices, to change its height</source>
        <translation>高さを変えるには地図要素かその頂点を選んでください</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="186" />
        <location filename="../map_editing.py" line="216" />
        <source>Height %.2f m</source>
        <translation>高さ %.2f m</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="278" />
        <source>Pick two different lines: the left boundary, then the right</source>
        <translation>異なる 2 本の線を選んでください: 左の境界、次に右の境界</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="284" />
        <source>Class %s does not allow lanelets (polygon3d)</source>
        <translation>クラス %s ではレーンレット (polygon3d) を作れません</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="302" />
        <source>Lanelet added; its direction was turned to keep the left line on the left</source>
        <translation>レーンレットを追加しました。左の線が左になるよう向きを反転しました</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="303" />
        <source>Lanelet added</source>
        <translation>レーンレットを追加しました</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="318" />
        <source>Select one sign or light (a 3D point), and with Shift its stop line or lanelet</source>
        <translation>標識か信号 (3D の点) を 1 つ選び、Shift で停止線かレーンレットを選んでください</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="325" />
        <source>Select at most one stop line and one lanelet with the sign</source>
        <translation>標識と一緒に選べるのは停止線とレーンレットを 1 つずつまでです</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="336" />
        <source>Sign linked</source>
        <translation>標識を結び付けました</translation>
    </message>
    <message>
        <location filename="../map_editing.py" line="337" />
        <source>Sign unlinked</source>
        <translation>標識の結び付けを外しました</translation>
    </message>
</context>
<context>
    <name>PointCloudView</name>
    <message>
        <location filename="../pointcloud_view.py" line="134" />
        <source>3D point cloud view</source>
        <extracomment>What a frame should take while the camera moves (10 fps or better, with room to spare). The camera counts as still this long after the last change. Pick tolerance around a drawn line, in pixels. Views still alive; a script that ends without ``app.exec()`` (no aboutToQuit) still frees their GL objects before the interpreter tears Qt down. After every frame; :meth:`frame_stats` tells what it drew.</extracomment>
        <translation>3D 点群ビュー</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="136" />
        <source>Left drag orbits, middle or Shift+left drag pans, the wheel zooms. W A S D Q E fly, arrow keys orbit, plus and minus zoom, Home or F fits the tile. Click a cuboid to select it.</source>
        <translation>左ドラッグで回転、中ドラッグまたは Shift+左ドラッグで移動、ホイールでズーム。W A S D Q E で飛行、矢印キーで回転、+ と - でズーム、Home または F でタイル全体を表示。直方体をクリックすると選択します。</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="403" />
        <source>OpenGL is not available</source>
        <translation>OpenGL を利用できません</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="453" />
        <source>the point cloud cannot be shown: %s</source>
        <translation>点群を表示できません: %s</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="468" />
        <source>a sample of %s points is shown: the GPU has no room for all</source>
        <translation>GPU のメモリが足りないため、%s 点を抽出して表示しています</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="473" />
        <source>the GPU has no memory left for this point cloud</source>
        <translation>この点群を表示する GPU メモリが足りません</translation>
    </message>
</context>
<context>
    <name>ProblemPanel</name>
    <message>
        <location filename="../problems.py" line="105" />
        <source>Problem count</source>
        <extracomment>(item id, annotation id or 0) the user asked to see</extracomment>
        <translation>問題の数</translation>
    </message>
    <message>
        <location filename="../problems.py" line="108" />
        <source>Problems</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../problems.py" line="199" />
        <source>%s (open)</source>
        <translation>%s（表示中）</translation>
    </message>
    <message>
        <location filename="../problems.py" line="210" />
        <source>batch</source>
        <translation>バッチ</translation>
    </message>
    <message>
        <location filename="../problems.py" line="210" />
        <source>item</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../problems.py" line="211" />
        <source>In this %s: %d error(s), %d warning(s)</source>
        <translation>この%s: エラー %d 件、警告 %d 件</translation>
    </message>
    <message>
        <location filename="../problems.py" line="259" />
        <source>Repair: keep the largest part</source>
        <translation>修正: 最大の部分を残す</translation>
    </message>
    <message>
        <location filename="../problems.py" line="260" />
        <source>Repair: split into parts</source>
        <translation>修正: 部分ごとに分割</translation>
    </message>
    <message>
        <location filename="../problems.py" line="261" />
        <source>Repair: clip to the image</source>
        <translation>修正: 画像の範囲に切り取る</translation>
    </message>
    <message>
        <location filename="../problems.py" line="262" />
        <source>Repair: drop duplicate vertices</source>
        <translation>修正: 重複した頂点を削除</translation>
    </message>
    <message>
        <location filename="../problems.py" line="263" />
        <source>Repair: join the end to the line it should meet</source>
        <translation>修復: 端をつながるべき線に接続</translation>
    </message>
    <message>
        <location filename="../problems.py" line="264" />
        <source>Repair: swap the lanelet's left and right</source>
        <translation>修復: レーンレットの左右を入れ替える</translation>
    </message>
    <message>
        <location filename="../problems.py" line="265" />
        <source>Repair: turn the lanelet's direction</source>
        <translation>修復: レーンレットの向きを反転</translation>
    </message>
</context>
<context>
    <name>ProfileView</name>
    <message>
        <location filename="../profile_view.py" line="74" />
        <source>Height profile of the selected map line</source>
        <extracomment>Metres either side of the line whose points are drawn. Most points drawn (a random sample beyond that). ``(annotation_id, vertex index, new height)`` when a drag ends</extracomment>
        <translation>選んだ地図の線の高さ断面</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="156" />
        <source>Select a map line to see its height profile</source>
        <translation>地図の線を選ぶと高さ断面を表示します</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="173" />
        <source>%.2f m</source>
        <translation>%.2f m</translation>
    </message>
    <message>
        <location filename="../profile_view.py" line="175" />
        <source>%.2f m, %.1f m along</source>
        <translation>%.2f m、線に沿って %.1f m</translation>
    </message>
</context>
<context>
    <name>ProjectionView</name>
    <message>
        <location filename="../cuboid_views.py" line="115" />
        <source>Cuboid from above</source>
        <extracomment>Metres of surroundings shown beside the box, and above and below it. Most points a view draws (a random sample beyond that). The cuboid as the user left it after a drag (annotation id, new cuboid, gesture key).</extracomment>
        <translation>直方体（上から）</translation>
    </message>
    <message>
        <location filename="../cuboid_views.py" line="116" />
        <source>Cuboid from the side</source>
        <translation>直方体（横から）</translation>
    </message>
    <message>
        <location filename="../cuboid_views.py" line="117" />
        <source>Cuboid from the front</source>
        <translation>直方体（前から）</translation>
    </message>
    <message>
        <location filename="../cuboid_views.py" line="184" />
        <source>Select a cuboid</source>
        <translation>直方体を選択してください</translation>
    </message>
</context>
<context>
    <name>ReviewPanel</name>
    <message>
        <location filename="../review.py" line="105" />
        <source>Comment count</source>
        <extracomment>(item id, comment id) the user asked to see</extracomment>
        <translation>コメント数</translation>
    </message>
    <message>
        <location filename="../review.py" line="109" />
        <source>Changes since the last submission</source>
        <translation>前回の提出からの変更</translation>
    </message>
    <message>
        <location filename="../review.py" line="112" />
        <source>Review comments</source>
        <translation>レビューコメント</translation>
    </message>
    <message>
        <location filename="../review.py" line="114" />
        <source>Pin a comment</source>
        <translation>コメントをピン留め</translation>
    </message>
    <message>
        <location filename="../review.py" line="116" />
        <source>Then click a shape or a spot (Ctrl+Shift+M)</source>
        <translation>続けて図形か場所をクリック (Ctrl+Shift+M)</translation>
    </message>
    <message>
        <location filename="../review.py" line="117" />
        <source>Resolve</source>
        <translation>解決済みにする</translation>
    </message>
    <message>
        <location filename="../review.py" line="180" />
        <source>shape #%d</source>
        <translation>図形 #%d</translation>
    </message>
    <message>
        <location filename="../review.py" line="181" />
        <source>a spot</source>
        <translation>場所</translation>
    </message>
    <message>
        <location filename="../review.py" line="183" />
        <source>item %d, %s — %s</source>
        <translation>アイテム %d、%s — %s</translation>
    </message>
    <message>
        <location filename="../review.py" line="189" />
        <source>%d open, %d resolved</source>
        <translation>未解決 %d 件、解決済み %d 件</translation>
    </message>
    <message>
        <location filename="../review.py" line="220" />
        <source>Since the last submission: %d item(s) changed; here %d added (green), %d changed (blue), %d deleted</source>
        <translation>前回の提出から %d アイテムに変更: ここでは追加 %d（緑）、変更 %d（青）、削除 %d</translation>
    </message>
    <message>
        <location filename="../review.py" line="238" />
        <source>Comments are pinned by the reviewer of a submitted batch, or by a lead</source>
        <translation>コメントは提出済みバッチのレビュアーかリーダーがピン留めします</translation>
    </message>
    <message>
        <location filename="../review.py" line="243" />
        <source>Click the shape or the spot the comment is about (Esc cancels)</source>
        <translation>コメントの対象の図形か場所をクリック（Esc で取り消し）</translation>
    </message>
    <message>
        <location filename="../review.py" line="269" />
        <source>Comment</source>
        <translation>コメント</translation>
    </message>
    <message>
        <location filename="../review.py" line="270" />
        <source>What should be fixed here?</source>
        <translation>ここで何を直すべきですか？</translation>
    </message>
</context>
<context>
    <name>TeamStatus</name>
    <message>
        <location filename="../team_status.py" line="51" />
        <source>Connection to the server</source>
        <extracomment>How often an offline client asks whether the server is back. emitted after the project went back online and replayed (the report)</extracomment>
        <translation>サーバーとの接続</translation>
    </message>
    <message>
        <location filename="../team_status.py" line="70" />
        <source>Working offline is not possible on this computer: %s</source>
        <translation>このコンピューターではオフライン作業ができません: %s</translation>
    </message>
    <message>
        <location filename="../team_status.py" line="99" />
        <source>offline — 1 edit waiting</source>
        <translation>オフライン — 送信待ちの編集 1 件</translation>
    </message>
    <message>
        <location filename="../team_status.py" line="100" />
        <source>offline — %d edits waiting</source>
        <translation>オフライン — 送信待ちの編集 %d 件</translation>
    </message>
    <message>
        <location filename="../team_status.py" line="103" />
        <source>%d edits waiting to be sent</source>
        <translation>送信待ちの編集 %d 件</translation>
    </message>
    <message>
        <location filename="../team_status.py" line="112" />
        <source>The server cannot be reached: working offline. Your edits are kept on this computer and sent when it answers again.</source>
        <translation>サーバーに接続できません。オフラインで作業を続けます。編集はこのコンピューターに保存され、接続が戻ると送信されます。</translation>
    </message>
    <message>
        <location filename="../team_status.py" line="142" />
        <source>Back online: %d edits sent</source>
        <translation>オンラインに戻りました: 編集 %d 件を送信しました</translation>
    </message>
</context>
<context>
    <name>_ExportThread</name>
    <message>
        <location filename="../dashboard.py" line="109" />
        <source>cancelled; nothing was written</source>
        <translation>取り消しました。何も書き出されていません</translation>
    </message>
</context>
</TS>