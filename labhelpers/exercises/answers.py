"""The answer keys of the lessons' Questions, as data, and the instructors' way to print them.

Each lesson notebook ends with ``labhelpers.exercises.print_answers("<notebook name>")``; the key
is shown only with the instructors' switch on (``LAB_SOLUTIONS=1``). To change a lesson's key,
edit its entry in :data:`ANSWERS` (plain text, lines of at most 99 characters).
"""

from __future__ import annotations

from labhelpers.config import show_solutions

__all__ = ["ANSWERS", "print_answers"]

#: Answer keys of the lessons' Questions, printed by print_answers when LAB_SOLUTIONS is on (lesson
#: notebook name -> text).
ANSWERS: dict[str, str] = {
    "00_setup": """\
Why the time of one step grows with the number of pixels: every convolution of VGG16 is applied at
every position of its input (and the deeper ones at every position of their smaller maps), forwards
and backwards, so the work is proportional to the number of pixels. Doubling the side gives four
times the pixels and about four times the time; a bit less on small pictures, where fixed costs
(starting the operations, the optimiser's own work) count. That is why the lessons use 128 px for
experiments with many runs and 256 px only for the panel.
""",
    "01_feature_hierarchy": """\
1. Many different pictures give the same deep feature maps: at 128 px `block5_conv2` has only 8 x 5
   positions, each summarising a 164-px patch in 512 numbers, so exact colours, fine texture and
   the precise position of edges are no longer in it (only what is roughly where: eyes, ears, the
   outline of the head). The loss compares only those features, so any fine pattern the layer does
   not see costs nothing: the optimiser has no gradient that would remove the coloured patterns its
   own steps leave behind (lesson 02, section 4). A term on the pixels themselves, total variation
   (lesson 04), charges for them.
2. A Gram matrix sums over all positions: it records which channels fire *together*, how strongly,
   but not *where*. With thousands of positions (the shallow layers) any arrangement of the same
   strokes and colours has (nearly) the same Gram matrices, so from noise the optimiser finds one
   of them: the layout is not in the loss. The deep layers are different at this size: at 128 px
   block4_conv1 has 12 x 16 positions and block5_conv1 6 x 8, and (nearly) all of them see the
   zero padding around the picture, each from its own side (block5's 132-px field is larger than
   the picture's height). A channel can then tell "near the top-right corner" from "in the middle",
   and how often such a channel fires together with the moon's colour channels is in the Gram
   matrix: the big, bright moon returns to the top right. Lesson 03, section 4, mirrors the
   painting and the moon moves to the top left. A larger picture gives the deep layers more
   positions far from the border, and less of the layout survives.
3. A channel "recognises" an object only if the object fills a good part of what the unit sees:
   its 196-px field is weighted towards its centre (the middle pixels reach it along many more
   paths), and its values are 16 px apart. Objects of some 50-100 px (a quarter to half of the
   photo) are what block5 describes; smaller things (an eye of 20 px) are for block3-block4. So the
   image size decides which structures the deep layers see as objects: at 512 px the cat's head is
   twice as many pixels and block5 sees parts of it; at 128 px it sees the whole scene. Choose the
   size so that what should be kept (or painted) has the size of the receptive fields of the layers
   used.
4. A 3x3 pooling adds (3 - 1) s = 2 s instead of s: 1 + 2 + 4 + 8 = 15 px more for the four
   poolings before block5_conv3, 211 px instead of 196 (your function on the changed list:
   [(n, 3, 2) if s == 2 else (n, k, s) for n, k, s in layer_geometry("block5_conv3")]). A layer's
   growth is (k - 1) times the spacing s *of its input*, and s has doubled at every earlier
   pooling: the first pooling's extra pixel is 1 px, the fourth's 8 px.
""",
    "02_content_loss": """\
1. The receptive field (lesson 01): a block5_conv1 value depends on a 132-px patch, so an 8-px
   shift moves its pattern by a small part of what it sees, and it still sees the same eye or ear.
   And the poolings: block5's values are 16 px apart (four 2x2 max poolings), and a max pooling
   gives the same answer wherever in its window the strongest value is, so small shifts change few
   values (the picture in section 2: the channel fires at the same spot, a few pixels on).
   block1_conv1 sees 3x3 pixels, 1 px apart: an 8-px shift puts different pixels under nearly every
   value, like a pixel distance.
2. The photo itself, with at most a faint colour tint or grain. block1_conv2's 64 channels on
   5x5-px patches determine the pixels almost completely (section 3: the reconstruction from
   block1_conv2 is the photo), so any brush stroke the style term asks for raises the content loss
   a lot; whatever the style weight, only changes the shallow layer cannot see survive, and there
   are almost none.
3. The loss compares the two feature maps position by position, element by element: they need the
   same shape (the same H x W at every layer), and position (i, j) must mean the same place in both
   pictures. Resize the photo to the picture's size first (style transfer does).
4. With block1_conv1 counting most the two are about equally far (the noisy photo 1.06 times as far
   as the moved one in the run this lesson was written with: block1 sees 3x3 pixels, and both
   change nearly every pixel); with block5_conv1 counting most the noisy photo is about 2.7 times
   as far (its detectors fire at the same spots of the moved photo, a few pixels on). Style
   transfer wants the deep weighting: it keeps what is where and lets strokes, edges and textures
   move and change, which is what a painting style needs. A shallow weighting charges a moved edge
   as much as noise, so it pins every edge to its pixel and leaves the optimiser only changes the
   shallow layer cannot see: the photo with a faint grainy colour cast instead of brush strokes.
""",
    "03_style_loss": """\
1. G = F^T F / (H W C) is an average over positions, so it describes "per position, which channels
   fire together" whatever the size: a small painting's Gram matrices can be matched on a large
   photo. But VGG16's detectors work at fixed sizes in pixels: the small painting's strokes are
   small in pixels, and they come out just as small on the large photo, a fine texture that looks
   nothing like the painting seen whole. Enlarge the painting to about the photo's size (or reduce
   the photo) so that its strokes have the size you want to see.
2. Shallow layers see 3-14 px (lesson 01): their Gram matrices fix colours and short strokes, but
   nothing larger, so nothing arranges the strokes into swirls. Deep layers see 100-200 px: their
   Gram matrices describe how the larger patterns co-occur, hence the swirls. Alone, though, they
   constrain only coarse statistics; the fine detail below their resolution is free (many fine
   patterns give the same deep features, as in the deep content reconstructions of lesson 01), so
   it stays the optimiser's colourful noise.
3. Not in general. Shuffling the feature map moved whole channel vectors; each vector had been
   computed from a neighbourhood of the image. Shuffling the image's pixels (or small patches)
   destroys those neighbourhoods: edges and strokes vanish, so already block1's Gram matrix
   changes. Only changes that keep (almost) every neighbourhood intact keep (almost) every Gram
   matrix: a shift (the moved painting above), swapping large patches (errors only along the
   seams). That is why texture synthesis has to *optimise* a new arrangement instead of shuffling
   the painting.
4. The strip counts far more with the deep weighting (in the run this lesson was written with, a
   relative style distance of 0.0017 with block1 + block2 and 0.10 with block4 + block5, about 60
   times more; the photo: 1.3 and 5.1). A shallow unit sees a few pixels, so only the positions
   inside the 16-px strip change, a few per cent of them; a deep unit sees 100-200 px, so every
   position within about one receptive field of the edge sees part of the reflected strip, a large
   part of the deep map's few positions. A style
   transfer with a small painting has the same problem in the deep layers: few positions, many of
   them near the edge, so the border (and anything the scan shows around the painting) weighs a lot
   in the deep Gram matrices. Enlarge the painting, or give the deep layers less weight.
""",
    "04_total_variation": """\
1. The optimiser follows the gradient of the *sum* of the terms, so what counts is how large each
   term's gradient is compared with the others. The TV term is measured in pixel values, the
   content and style terms in (normalised) feature errors: different units, so some number has to
   say how much one unit of smoothness is worth against one unit of likeness. Too small a weight
   and the grain stays; too large and the TV term wins: flat patches, no strokes (the row of
   pictures shows both ends).
2. L1. It charges an edge only its height, once, however sharp it is, so an object's outline costs
   little and survives; L2 charges the square of each step, so one big step costs far more than
   many small ones and is blurred away together with the noise (the denoising row shows it).
3. Vertical pairs: (H - 1) x W, horizontal pairs: H x (W - 1), per channel, so
   3 x ((H - 1) W + H (W - 1)) = 3 (2HW - H - W) differences, about 6HW. Doubling the side gives
   about 4x as many terms: the raw TV of grain grows about 4x (of smooth regions about 2x, as their
   steps halve), while the content and style losses are means and stay about the same. So
   `tv_weight` would have to shrink 2-4x to give the same picture. `labhelpers` divides the TV by
   the number of pixels, so the weight keeps its meaning at any size.
4. At 48 x 64 px: 1-px squares 3 x (48 x 63 + 64 x 47) = 18,096, 16-px squares 3 x (48 x 3 + 64 x
   2) = 816, about 22 times less. A board's TV is (number of boundaries) x (their length) x 3: with
   squares of side k there are about W/k + H/k boundary lines, so the TV grows like 1/k, the finer
   the more. One-pixel grain is the most expensive pattern there is per pixel, so the gradient of a
   TV term pushes hardest on it: a small weight already removes the optimiser's grain, and only a
   large one starts to flatten the brush strokes and the cat's outline (the sweep's pictures).
   The exercise: checkerboard_tv = 3 * (((width - 1) // cell) * height + ((height - 1) // cell) *
   width).
""",
    "05_optimization": """\
1. The optimiser would also move VGG16's kernels and biases downhill on the same loss: the network
   would learn to call this picture "like the painting" instead of the picture becoming like it.
   The targets (photo features, painting Gram matrices) were computed with the old weights, so
   every later loss compares features of two different networks and means nothing.
2. Pixel values outside [0, 1] are not a picture: they cannot be shown or saved, and VGG16 never
   saw such inputs. The gradient is only a direction; clipping it would not stop the optimiser
   (Adam rescales it) from stepping outside. Clipping the result projects it back onto valid
   pictures.
3. At 512 px the raw TV term (a sum over pixel pairs) grows about 4x relative to 128 px, so GAMMA
   must shrink; content and style are means and stay roughly the same. Keras's Caffe VGG16 has
   60-240x larger activations (a different factor per layer): the content term grows by the factor
   squared and each style layer by its factor to the fourth, so ALPHA and above all BETA (and the
   balance between style layers) change. Dividing each term by the size of its target, and TV by
   the number of pixels, cancels the network's scale exactly (identical rows in the lesson's table)
   and the TV's pixel count; it does not make the content and style terms independent of the size
   (in the lesson's table they grew about 2-2.5x from 128 to 256 px), because a picture seen at
   another size is another picture for VGG16. Normalised weights therefore transfer exactly between
   networks, and only approximately between picture sizes.
4. Usually none, or one or two: with the capped first step and then the steps its curvature
   estimate proposes, L-BFGS's first trial nearly always satisfies both conditions (the loss fell
   enough, the slope flattened enough), so an iteration costs one evaluation and the thin line
   falls with the dashed one. A rejected trial would show as a point above the dashed line (a
   step that overshot), followed by a shorter trial; pixels never leave [0, 1] on the way, since
   L-BFGS-B keeps every trial inside its bounds, where Adam steps outside and is clipped back.
   Which is lower depends on the machine and the size; on two CPU cores at 128 px L-BFGS is
   usually lower after the same time and the gap grows in a longer race, because Adam moves each
   pixel by at most about its learning rate per step while L-BFGS's steps follow the curvature.
   Each trial costs a full forward and backward pass, as much as an Adam step, and an iteration
   may use one trial or several: evaluations, not iterations, are the fair unit of work and time.
5. With m = v = 0 before it, the first step has m_hat = g and v_hat = g^2, so m_hat / sqrt(v_hat)
   is +1 or -1 (0 where g = 0): every pixel moves by exactly the learning rate against the sign of
   its gradient, whatever the gradient's size (first_adam_change = -learning_rate * sign(gradient),
   up to epsilon). Later steps are at most about as long. So a pixel needs at least 1 / 0.02 = 50
   steps from black to white: LEARNING_RATE is a step length in pixel values, which is what the
   comment in the parameters cell says. With every loss weight 100 times larger the gradients are
   100 times larger and Adam's steps do not change at all; plain gradient descent (SGD) steps by
   learning rate x gradient, 100 times further, and would overshoot: its learning rate must be
   retuned whenever the loss's scale changes.
""",
    "06_paper_figures": """\
1. A deeper layer's unit sees a larger patch of the picture (its receptive field grows with every
   convolution and pooling), so its Gram matrix describes which larger patterns occur together.
   Matching it forces the painting's larger structures; conv1 alone sees 3x3 pixels: colour and
   grain (the grid: conv1 a colour cast and grain, conv1-4 and conv1-5 swirls and star-like blobs).
2. The loss is not convex: it has many minima (and flat directions). Gradient-based optimisers go
   downhill from where they start and stop in a low place near it, so the start is part of the
   method: from the photo the layout survives, from noise a texture forms with at most a faint
   trace of the cat, from the painting the painting hardly changes. The painting start ends lowest
   (in the run this lesson was written with 1.44, against 1.83 from the photo and 2.1 from noise,
   96 px, 80 evaluations): its content error is about 1, but it pays almost nothing for style,
   while every stylised cat pays some of both; under the default weights (content 1, style 10) that
   trade favours the painting. So a lower loss is not a better picture: the loss counts feature
   statistics at the weights chosen. To make a cat win, raise the content weight (or lower the
   style weight) until a picture without the cat costs more than a stylised one; and start from the
   photo, as style transfer does in practice, so that the optimiser stays near the cat.
3. Luminance-only transfer keeps the photo's I and Q at every pixel and changes only Y, so each
   place keeps the photo's hue (only brightness, and through clipping a little saturation, move):
   the strokes are there in light and dark, not in colour. Histogram matching only gives the
   painting the photo's *overall* colour mean and covariance; the optimiser then paints strokes
   with the recoloured painting's colour variation wherever the style loss wants them, so a stroke
   can take a colour that the photo has elsewhere (the sky's blue) but not at that place (the cat).
""",
    "07_style_transfer": """\
Exercise (predict, then run): the picture with all three weights x 10 is the same picture as the
(1, 1, 1) one, the one with only the style weight x 10 is not. Multiplying every weight by 10
multiplies the loss and its gradient by 10 and nothing else, so the lowest point is the same
picture; L-BFGS scales its first step by the gradient's length and its later ones by the curvature
it has measured, and its line search asks for relative decreases, so its steps come out the same.
The pixels still differ by a few grey levels on average, in fine detail: the arithmetic is rounded
differently when every number is ten times larger, and a line search that accepts or rejects a
trial a little differently sends the optimisation along a slightly different path. The content and
style errors (each term at weight 1) agree within a few per cent. Raising only the style weight
moves the lowest point: the content error grows several times, the style error falls, the pixels
differ about twice as much and the picture is visibly more painted.

1. The loss is ten times larger everywhere, so its lowest point is the same picture, and every
   optimiser whose steps do not depend on the size of the loss takes the same steps: L-BFGS (see
   above) and Adam too, since m_hat / sqrt(v_hat) does not change when every gradient is 10 times
   larger (lesson 05, Exercise 3: the first step is the learning rate whatever the gradient).
   Plain gradient descent would take ten times longer steps. Only the ratios matter: style :
   content and TV : content.
2. From the photo the content loss starts at 0 and grows with every change, the style loss can only
   fall. The optimum of content_weight x content + style_weight x style lies where a change gains
   as much style as it costs content; with a tiny style weight that point is very close to the
   photo. In the curves the style term falls only a little and the content term stays near 0.
3. Brush strokes are exactly the small-scale differences between neighbouring pixels that TV
   charges for. With the largest weight the optimiser flattens them into smooth patches: the
   picture gets blurry or poster-like; the painting's colours stay, its texture fades.
4. Usually L-BFGS, in the same number of evaluations: it estimates the curvature and chooses its
   step lengths by a line search, while Adam moves each pixel by at most about its learning rate
   per step (lesson 05, Exercise 3), so from the photo it needs many steps to go far. L-BFGS's
   curve seldom rises (most iterations accept their first line-search trial); where it does, the
   point is a rejected trial, so compare the best values, not the last ones.
5. Luminance keeps the photo's colours exactly: only the brightness is stylised and the photo's
   colour is put back, so the painting's colour texture (blue and yellow swirls) is lost. Histogram
   matching recolours the painting to the photo's colour mean and covariance first: the colours are
   close to the photo's overall, but the variation of colour inside the strokes survives, so more
   of the painting's texture is kept.
6. Open. A Gram matrix keeps which features occur together, summed over every position, and throws
   away where they are, so the painting's textures are spread over the whole photo whatever is
   where. Paintings whose character is a texture that fills the canvas (Starry Night's swirls, a
   mosaic, pointillism) suit almost any photo; paintings whose character is their composition (a
   face, a horizon) do not carry it over. Photos with large, clear shapes keep their layout best.
""",
    "08_controls": """\
Exercise: guided_gram = (mask * F)^T (mask * F) / (C * sum(mask**2)); weight the features once,
multiply the weighted matrix with itself, divide by the number of channels times the mask's area.
1. With H W the matrix of a region covering a quarter of the picture would be about a quarter of
   the painting's (the positions outside add nothing but still count in the division): the style
   loss would push the region's features up to make up for it, too strong and too bright. Dividing
   by the area makes the guided Gram matrix a mean over the region, comparable with the painting's
   Gram matrix whatever the region's size.
2. Still a visible seam, but not a cut: a deep unit whose receptive field straddles the border is
   weighted by the mask at its own position, yet its gradient reaches every pixel it sees, up to
   100-200 px away; near the border each half is pushed by both paintings' terms. The soft border
   makes that blend gradual on purpose; a hard one still shows a few pixels of mixing.
3. At 160 px block5_conv1 has a 10 x 7 grid: each cell is the mean of the mask over the 16 x 16
   pixels it covers, so the bridge's outline becomes a staircase of grey cells. That is enough
   because a deep unit sees far more than its cell anyway; the fine layers, where the outline
   matters, see the mask at (nearly) full resolution.
4. Only the targets see the painting: its features are computed once, before optimising, so a
   larger painting costs one larger VGG16 pass. Every evaluation runs on the picture, whose size
   (size) sets the cost of each of the 40 steps.
5. Max pooling passes the gradient to the one largest value of each 2x2 window, the three others
   get nothing; average pooling gives each a quarter. So with max pooling a few pixels get all the
   change (fine speckle, hard edges), with average pooling the change spreads over all of them:
   larger connected patches, bolder and less speckled (the difference picture lights up nearly
   everywhere; Gatys et al. chose it for this smoother flow of gradients).
6. Yes, by the strokes: with the photo's colours the halves differ in texture (the left half has
   Starry Night's curling strokes; the right half the café's blockier, rectangular patches) and
   slightly in contrast, not in hue. Luminance mode keeps the photo's hues exactly;
   histogram mode lets a little of each painting's colour variation into its half.
""",
    "homework_style_transfer": """\
A. (a) preprocess_input is Caffe's convention: it reverses RGB to BGR and subtracts ImageNet's mean
   in 0-255 units (103.9, 116.8, 123.7), with no division. On pictures in [0, 1] the network gets
   values near -104 to -123, where torchvision's weights expect (x - mean) / std, about -2 to +2.6:
   the first layer sees a nearly constant, hugely negative picture with red and blue exchanged, so
   every map after it describes another input. Right for Keras's own (Caffe-trained) weights, on
   0-255 pictures; wrong for weights trained in another convention. (b) For a grey picture R = G =
   B, so reversing the channels changes nothing (only the per-channel mean and std differ
   slightly): a port tested on grey or symmetric pictures hides the bug. Test with coloured
   pictures against a reference forward pass, layer by layer, as the check does with random
   weights.
B. (a) L-BFGS-B treats the box itself: it follows the projected gradient path to the generalised
   Cauchy point, fixes the values that sit on a bound, minimises over the free ones with its
   curvature model and keeps every trial point of the line search inside the box. The steps it
   remembers are the steps really taken, so its curvature pairs (s, y) stay consistent. Clipping
   after an unconstrained step (Adam) moves the picture somewhere the optimiser did not choose;
   L-BFGS would then store a step and a gradient change that do not belong together. (b) The line
   search checks sufficient decrease f(x + t d) <= f(x) + c t g.d and the curvature condition on
   g.d; with float32 gradients g.d carries errors of about 1e-7 relative, so near a minimum the
   tests compare numbers below their noise, the search fails (ABNORMAL_TERMINATION_IN_LNSRCH) or
   the curvature pairs get a wrong sign. scipy's Fortran code works in float64 on flat vectors.
C. F (H*W x C), N = H*W*C, G = F^T F / N, L = (1/C^2) sum_ij (G_ij - A_ij)^2. dL/dG = 2 (G - A) /
   C^2 (the square's factor 2; the mean's 1/C^2). dL/dF = F (dL/dG + dL/dG^T) / N = 4 F (G - A) /
   (N C^2), since G - A is symmetric (the second factor 2: F appears twice in F^T F). Reshape (H*W,
   C) back to (1, H, W, C). Gatys: F^l is N_l x M_l = C x H*W, G = F F^T (unnormalised), E_l = 1/(4
   N_l^2 M_l^2) sum (G - A)^2, so dE/dF = 1/(N_l^2 M_l^2) (F^T (G - A))^T: the 1/4 cancels the same
   two factors 2; the layouts are transposes of each other. The condition "0 if F_ij < 0" is the
   ReLU's derivative: the paper's F are ReLU outputs, so F > 0 exactly where the pre-activation Z >
   0, and multiplying by [F > 0] turns dE/dF into dE/dZ, the gradient back-propagation carries to
   the convolution below. The lecture's maps are ReLU outputs too, and dL/dF itself is not masked
   (it is not 0 where F = 0); the mask belongs to the next step, dL/dZ = dL/dF * [F > 0], which
   autodiff does.
D. (a) At ratios 1e3 and 1e4 the picture is the photo (1e4 with a slight colour cast): the content
   term holds it and the style loss falls only a little. At 1e5 the painting's blue and yellow
   strokes cover the fur and the background while the eyes, nose and outline stay; at 1e6 the
   strokes are denser and the background turns into swirls, the cat still recognisable (20
   iterations from the photo go no further). The content curve rises steeply from 1e3 to 1e5 and
   flattens towards 1e6; the style curve falls most between 1e4 and 1e5 and flattens after it. (b)
   The numbers depend on how each loss is normalised: the paper sums squared errors with 1/2 and
   1/(4 N^2 M^2) on unnormalised Gram matrices and weights layers by 1/5, the lecture takes means
   and normalised Gram matrices and sums the five layers; a ratio of one convention is a different
   balance in the other. Only the direction of the trade carries over. (c) E.g. the start picture:
   from the photo, small ratios cannot leave it, so the content side is flattered; starting from
   noise as the paper does (4 more runs, and many more iterations each to converge) separates the
   two effects. Or: one pair of pictures; repeating with 3 photos and 3 paintings is 9x the runs.
""",
    "09_fast_network": """\
1. Lesson 05 changed the pixels themselves, and an optimiser step can push a pixel past 0 or 1.
   Here the optimiser changes weights, and every picture is computed from them anew, ending in a
   sigmoid, whose values lie in (0, 1) whatever the weights are: there is nothing to clip.
2. The photos are constants (no tf.Variable): there is nothing to update, and the optimiser
   refuses. Even a Variable of photos would only paint those photos, which is lesson 05's
   optimisation again, with nothing learned for the next photo. Updating VGG16's weights would
   change the ruler instead of the picture: the loss can then fall while the pictures get no
   nearer the painting (the checker calls it "VGG16's weights changed").
3. On a training photo a small enough loss can come from remembering that photo's crops. A photo
   the network never saw shows what it learned for photos in general, which is what it will be
   used for; the benchmark and section 5 measure on the two held-out photos for the same reason.
4. With stylize at 10-20 seconds a photo on two idle AVX-512 cores and training at 3 minutes (10
   for the shipped networks), training pays for itself after 9-18 photos (30-60 for the shipped
   ones); a video (25 frames a second) pays for it within a few seconds of film. Five style
   weights are five trainings for the network, but five runs of stylize: where the settings
   change often, stylize wins.
5. The strokes stay the same number of pixels, so at 1024 px they are a quarter as large compared
   with the scene, and the picture looks finer and less painted. The network learned from 128 px
   crops of photos scaled to about 256 px, and a convolution has a fixed size in pixels. stylize
   scales the painting to the picture's size before taking its Gram matrices, so its strokes grow
   with the picture.
6. VGG16 up to block5_conv1 has 64 to 512 channels, and its 64- and 128-channel layers work at the
   full and half resolution: about 38 GFLOP forwards for a 256 x 256 picture, and an evaluation
   runs it forwards and backwards. The small network has 16 to 48 channels, its widest layers at a
   quarter of the resolution: about 3 GFLOP for the same picture, forwards only. Ten times fewer
   operations per pass, and one pass instead of 60 evaluations: about a thousand times less work
   (the measured speed-up is smaller, as small convolutions use the CPU less well).
""",
}


def print_answers(lesson: str) -> None:
    """Print the answer key of ``lesson``'s Questions (e.g. ``"05_optimization"``) for instructors.

    Only with the instructors' switch on (``LAB_SOLUTIONS=1``); otherwise one line says how to turn
    it on, so a student sees no answers.

    Raises:
        KeyError: for a lesson without an answer key; the message lists the lessons that have one.
    """
    if lesson not in ANSWERS:
        raise KeyError(f"No answer key for {lesson!r}; there are keys for {sorted(ANSWERS)}.")
    if show_solutions():
        print(f"Answer key, {lesson}:\n\n{ANSWERS[lesson]}")
    else:
        print(
            "The answer key is for instructors: set LAB_SOLUTIONS=1 before starting Jupyter "
            "(or run %env LAB_SOLUTIONS=1 first in Colab) and run the notebook again."
        )
